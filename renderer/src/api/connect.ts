import type { SaegimBridge } from '../../../main/contract/bridge.js';
import { bridgeTransport } from './bridge-transport.js';
import { createClient, type SaegimClient } from './client.js';
import { httpTransport } from './http-transport.js';

declare global {
  interface Window {
    /** Present only inside the Electron window, exposed by electron/preload.cts. */
    saegim?: SaegimBridge;
  }
}

/** The Electron bridge when the preload exposed one, otherwise browser mode's HTTP API on this origin. */
export function connectClient(): SaegimClient {
  return createClient(window.saegim ? bridgeTransport(window.saegim) : httpTransport());
}
