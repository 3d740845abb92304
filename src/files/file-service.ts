import { randomUUID } from "node:crypto";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import type { Principal } from "../auth/claims.js";
import type { ConversationPolicy } from "../conversations/conversation-policy.js";
import type { FileRecord, FileRepository } from "../db/repositories/index.js";
import type { Tx } from "../db/records.js";
import { AppError, forbidden, notFound, toAppError, validationFailed } from "../errors.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { Logger } from "../observability/logger.js";
import type { FilePart, FileResource, ProviderName } from "../protocol/index.js";
import type { PromptFile } from "../providers/chat-model.js";
import { estimateFileTokens } from "../tokens/file-tokens.js";
import { countPdfPages } from "../tokens/pdf-page-count.js";
import { displayName } from "./display-name.js";
import { FileInspector } from "./file-inspector.js";
import type { FileLinks } from "./file-links.js";
import type { FileStore } from "./file-store.js";

export interface FileServiceDeps {
  files: FileRepository;
  store: FileStore;
  links: FileLinks;
  policy: Pick<ConversationPolicy, "require">;
  limits?: Pick<RateLimits, "consume"> | undefined;
  logger: Logger;
  /** FILE_MAX_BYTES. */
  maxBytes: number;
}

/** An upload as the HTTP layer hands it over: the bytes stream in as they arrive. */
export interface Upload {
  /** The name the client gave (a display name only). */
  name: string;
  /** The type the client claimed (not trusted for what the bytes are). */
  claimedType: string;
  body: Readable;
}

/** A file's bytes with what they are. */
export interface OpenedFile {
  file: FileRecord;
  body: Readable;
}

/** What a turn carries of the files it sends. */
export interface AttachedFiles {
  parts: FilePart[];
  /** The files sent for the first time (to mark sent). */
  unsent: string[];
  /** The files' estimated tokens for the agent's vendor. */
  tokens: number;
}

/**
 * Files (PROTOCOL.md: files): uploads streamed through the inspector to the store, reading them
 * (members, or a signed link), the files a message sends, and deleting them with what they belong to.
 */
export class FileService {
  constructor(private readonly deps: FileServiceDeps) {}

  /**
   * Stores an upload to a conversation the caller may write in. The row exists (as `uploading`)
   * before the bytes, so a node that dies mid-upload leaves a row the unsent-file sweep deletes; a
   * refused or failed upload keeps nothing.
   */
  async upload(principal: Principal, conversationId: string, upload: Upload): Promise<FileResource> {
    const conversation = await this.deps.policy.require(principal, conversationId, "write");
    if (conversation.status !== "active") {
      throw new AppError("conversation_not_active", `the conversation is ${conversation.status}`);
    }
    await this.deps.limits?.consume("upload", principal.userId);
    const id = randomUUID();
    const name = displayName(upload.name);
    await this.deps.files.begin({ id, conversationId, uploadedBy: principal.userId, name });
    const inspector = new FileInspector(this.deps.maxBytes, { name, type: upload.claimedType });
    try {
      // The store stops reading when it fails: the upload stops with it.
      const put = this.deps.store.put(id, inspector).catch((err: unknown) => {
        inspector.destroy(err as Error);
        throw err;
      });
      await Promise.all([pipeline(upload.body, inspector), put]);
      const facts = inspector.facts;
      // A PDF's pages are what its tokens are estimated by: counted once, from the stored bytes.
      const pages = facts.mediaType === "application/pdf" ? await this.pagesOf(id) : undefined;
      const stored = await this.deps.files.stored(id, { ...facts, pages });
      if (!stored) throw notFound("file");
      return toFileResource(stored);
    } catch (err) {
      await this.discard(id);
      throw toAppError(err);
    }
  }

  async list(principal: Principal, conversationId: string): Promise<FileResource[]> {
    await this.deps.policy.require(principal, conversationId, "read");
    return (await this.deps.files.listStored(conversationId)).map(toFileResource);
  }

  /** The stored files of a conversation whose reader was checked already (exports). */
  async resourcesOf(conversationId: string): Promise<FileResource[]> {
    return (await this.deps.files.listStored(conversationId)).map(toFileResource);
  }

  /** A file of a conversation the caller is a member of (`not_found` to anyone else). */
  async find(principal: Principal, fileId: string): Promise<FileRecord> {
    const file = await this.deps.files.find(fileId);
    if (!file || file.state !== "stored") throw notFound("file");
    // A stranger learns nothing of the file, not even that it exists.
    await this.deps.policy.require(principal, file.conversationId, "read").catch(() => {
      throw notFound("file");
    });
    return file;
  }

  async open(principal: Principal, fileId: string): Promise<OpenedFile> {
    const file = await this.find(principal, fileId);
    return { file, body: await this.deps.store.get(file.id) };
  }

  /** A signed link to the file's bytes, valid for five minutes. */
  async link(principal: Principal, fileId: string): Promise<{ url: string; expiresAt: string }> {
    const file = await this.find(principal, fileId);
    return this.deps.links.link(file.id);
  }

  /** The bytes behind a signed link; an altered or expired link is `forbidden`. */
  async openSigned(fileId: string, expires: string, signature: string): Promise<OpenedFile> {
    if (!this.deps.links.verify(fileId, expires, signature)) {
      throw forbidden("the link is not valid or has expired");
    }
    const file = await this.deps.files.find(fileId);
    if (!file || file.state !== "stored") throw notFound("file");
    return { file, body: await this.deps.store.get(file.id) };
  }

  /**
   * The file parts of a message about to be sent, in the order given: each file uploaded by the
   * sender to this conversation and not sent yet (or `resendable`: sent by the message an edit
   * replaces), of a type the agent reads. Refuses before anything is stored.
   */
  async attach(
    tx: Tx,
    request: {
      conversationId: string;
      fileIds: readonly string[];
      senderId: string;
      resendable: readonly string[];
      agent: { provider: ProviderName; acceptsFiles: readonly string[] };
    },
  ): Promise<AttachedFiles> {
    const found = new Map(
      (await this.deps.files.findInConversation(request.conversationId, request.fileIds, tx)).map((f) => [
        f.id,
        f,
      ]),
    );
    const parts: FilePart[] = [];
    const unsent: string[] = [];
    let tokens = 0;
    for (const id of request.fileIds) {
      const file = found.get(id);
      const resent = request.resendable.includes(id);
      if (!file || file.state !== "stored" || (!resent && file.uploadedBy !== request.senderId)) {
        throw notFound("file");
      }
      if (!resent) unsent.push(id);
      if (file.messageId !== null && !resent)
        throw validationFailed(`the file ${file.name} was sent already`);
      if (!request.agent.acceptsFiles.includes(file.mediaType)) {
        throw validationFailed(`this conversation's assistant does not read ${file.mediaType} files`, {
          fileId: file.id,
          mediaType: file.mediaType,
        });
      }
      const part = filePartOf(file);
      parts.push(part);
      tokens += estimateFileTokens(request.agent.provider, { ...part, pages: file.pages ?? undefined });
    }
    return { parts, unsent, tokens };
  }

  /**
   * Marks the files sent with `messageId`, in the turn's transaction; a file sent meanwhile by
   * another message refuses the turn.
   */
  async claim(tx: Tx, fileIds: readonly string[], messageId: string): Promise<void> {
    if (fileIds.length === 0) return;
    const claimed = await this.deps.files.claim(fileIds, messageId, tx);
    if (claimed.length < fileIds.length) throw validationFailed("a file was sent already");
  }

  /** The bytes of a message's files, for the model. A file deleted meanwhile is left out. */
  async forPrompt(parts: readonly FilePart[]): Promise<PromptFile[]> {
    const files: PromptFile[] = [];
    for (const part of parts) {
      const data = await this.bytes(part.fileId);
      if (!data) continue;
      files.push({
        name: part.name,
        mediaType: part.mediaType,
        size: part.size,
        ...(part.width !== undefined ? { width: part.width } : {}),
        ...(part.height !== undefined ? { height: part.height } : {}),
        data,
      });
    }
    return files;
  }

  /** The bytes of a file, whole (the model, exports, page counts), or null when it is gone. */
  async bytes(fileId: string): Promise<Buffer | null> {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of await this.deps.store.get(fileId)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    } catch (err) {
      if (toAppError(err).code === "not_found") return null;
      throw err;
    }
  }

  private async pagesOf(fileId: string): Promise<number | undefined> {
    const bytes = await this.bytes(fileId);
    return bytes ? countPdfPages(bytes) : undefined;
  }

  /** Deletes the files of these conversations (store first: a row is never gone before its bytes). */
  async deleteOfConversations(conversationIds: readonly string[]): Promise<number> {
    return this.remove(await this.deps.files.idsOfConversations(conversationIds));
  }

  /** Deletes every file a user uploaded, and those of the conversations it owns (erasure). */
  async deleteForErasure(userId: string): Promise<number> {
    return this.remove(await this.deps.files.idsForErasure(userId));
  }

  /** Deletes the files of the conversations the purge is about to remove. */
  async deleteOfDeletedBefore(before: Date): Promise<number> {
    return this.remove(await this.deps.files.idsOfDeletedBefore(before));
  }

  /** Deletes files uploaded more than `seconds` ago and never sent. */
  async sweepUnsent(seconds: number): Promise<number> {
    let deleted = 0;
    for (let ids = await this.deps.files.takeUnsent(seconds); ids.length > 0;) {
      deleted += await this.remove(ids);
      if (ids.length < 500) break;
      ids = await this.deps.files.takeUnsent(seconds);
    }
    return deleted;
  }

  private async remove(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    await this.deps.store.delete(ids);
    await this.deps.files.delete(ids);
    return ids.length;
  }

  /** A failed upload leaves nothing: its bytes (if any reached the store) and its row. */
  private async discard(id: string): Promise<void> {
    try {
      await this.deps.store.delete([id]);
      await this.deps.files.delete([id]);
    } catch (err) {
      // The unsent-file sweep deletes it later.
      this.deps.logger.warn({ err, fileId: id }, "a failed upload could not be cleaned up yet");
    }
  }
}

export function filePartOf(file: FileRecord): FilePart {
  return {
    type: "file",
    fileId: file.id,
    name: file.name,
    mediaType: file.mediaType,
    size: file.size,
    ...(file.width !== null ? { width: file.width } : {}),
    ...(file.height !== null ? { height: file.height } : {}),
  };
}

export function toFileResource(file: FileRecord): FileResource {
  return {
    id: file.id,
    conversationId: file.conversationId,
    name: file.name,
    mediaType: file.mediaType,
    size: file.size,
    sha256: file.sha256 ?? "",
    ...(file.width !== null ? { width: file.width } : {}),
    ...(file.height !== null ? { height: file.height } : {}),
    uploadedBy: file.uploadedBy
      ? { id: file.uploadedBy, name: file.uploaderName ?? file.uploadedBy }
      : { id: "", name: "(erased)" },
    messageId: file.messageId,
    createdAt: file.createdAt.toISOString(),
  };
}
