/** The connection to the engine is host-neutral (main/rpc); Electron's main process uses it from here. */
export { EngineConnection, type EngineChild, type EngineLink } from '../main/rpc/engine-connection.js';
