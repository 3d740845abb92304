/**
 * The wire contract of docs/PROTOCOL.md: resources, inputs, REST answers, Socket.IO event maps,
 * error codes and room names. A leaf: it imports nothing of the server, only zod, so that the server,
 * the client example and the tests all read the same definitions.
 */
export * from "./errors.js";
export * from "./events.js";
export * from "./files.js";
export * from "./inputs.js";
export * from "./metadata.js";
export * from "./parts.js";
export * from "./resources.js";
export * from "./responses.js";
export * from "./rooms.js";
export * from "./text.js";
export * from "./tools.js";
