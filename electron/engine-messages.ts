/** The engine protocol lives with the engine (main/rpc); Electron's side imports it from here. */
export type { EngineOptions, FromEngine, ToEngine } from '../main/rpc/engine-messages.js';
