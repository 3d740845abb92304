/**
 * Confab's client SDK (PROTOCOL.md section D), served as one ES module at `/sdk/confab.js`:
 * `ConfabClient` for everything in the contract, `ConfabChatTransport` for the AI SDK's `useChat`.
 */
export { ConfabClient, ConfabError, ConversationHandle, type ConfabClientOptions } from "./confab-client.js";
export { ConfabChatTransport, type ConfabChatTransportOptions } from "./chat-transport.js";
export { ConversationStream, type MessageView } from "./chat-client.js";
