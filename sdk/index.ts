/**
 * Confab's client SDK (PROTOCOL.md section 9), served as one ES module at `/sdk/confab.js`:
 * `ConfabClient` for everything in the contract, its `ConversationHandle` as the headless core a face
 * draws from, and `ConfabChatTransport` for the AI SDK's `useChat`.
 */
export { ConfabClient, type ConfabClientOptions, type ConnectionStatus } from "./confab-client.js";
export {
  ConversationHandle,
  type HandleEvents,
  type MessageActions,
  type SendOptions,
} from "./conversation-handle.js";
export { ConversationList } from "./conversation-list.js";
export { type Attachment } from "./attachments.js";
export { type FileResource } from "./file-links.js";
export { FILE_INPUT_ACCEPT, formatSize, isImage } from "./file-types.js";
export { ConversationStream, settled, type MessageStatus, type MessageView } from "./conversation-stream.js";
export { ConfabChatTransport, type ConfabChatTransportOptions } from "./chat-transport.js";
export { ConfabError, describeError } from "./errors.js";
export { applyDecision, applyPartsEvent, pendingTools, type PartsEvent } from "./parts.js";
export { type MemberView } from "./people.js";
export { fetchDevToken, type UploadOptions } from "./rest-client.js";
