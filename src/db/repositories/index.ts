import type { Sequelize } from "sequelize";
import type { Models } from "../models/index.js";
import type { Tx } from "../records.js";
import { AgentRepository } from "./agent-repository.js";
import { ConversationRepository } from "./conversation-repository.js";
import { FileChunkRepository } from "./file-chunk-repository.js";
import { FileRepository } from "./file-repository.js";
import { InviteRepository } from "./invite-repository.js";
import { McpServerRepository } from "./mcp-server-repository.js";
import { MemberRepository } from "./member-repository.js";
import { MaintenanceRepository } from "./maintenance-repository.js";
import { MessageRepository } from "./message-repository.js";
import { TemplateRepository } from "./template-repository.js";
import { ToolRepository } from "./tool-repository.js";
import { UserRepository } from "./user-repository.js";

export {
  AgentRepository,
  ConversationRepository,
  FileChunkRepository,
  FileRepository,
  InviteRepository,
  MaintenanceRepository,
  McpServerRepository,
  MemberRepository,
  MessageRepository,
  TemplateRepository,
  ToolRepository,
  UserRepository,
};
export type { ConversationFilter, TurnContextRecord, TurnLookup } from "./conversation-repository.js";
export type { FileRecord } from "./file-repository.js";
export type { MessageText, NewTurn, StoredTurn, TreeRow } from "./message-repository.js";
export { DuplicateClientMessageId } from "./message-repository.js";

/** Every query of the server, one repository per table family. */
export interface Repositories {
  users: UserRepository;
  agents: AgentRepository;
  conversations: ConversationRepository;
  messages: MessageRepository;
  templates: TemplateRepository;
  members: MemberRepository;
  invites: InviteRepository;
  tools: ToolRepository;
  mcpServers: McpServerRepository;
  files: FileRepository;
  /** The PostgreSQL file store's bytes. */
  fileChunks: FileChunkRepository;
  maintenance: MaintenanceRepository;
  /** Runs `work` in one transaction, handed to each repository call that is part of it. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Whether the database answers (a trivial query). */
  ping(): Promise<void>;
  /** Whether requests are waiting for a connection: the pool is exhausted. */
  busy(): boolean;
}

export function createRepositories(sequelize: Sequelize, models: Models): Repositories {
  return {
    users: new UserRepository(models),
    agents: new AgentRepository(models),
    conversations: new ConversationRepository(models),
    messages: new MessageRepository(models),
    templates: new TemplateRepository(models),
    members: new MemberRepository(models),
    invites: new InviteRepository(models),
    tools: new ToolRepository(sequelize, models),
    mcpServers: new McpServerRepository(models),
    files: new FileRepository(sequelize),
    fileChunks: new FileChunkRepository(sequelize),
    maintenance: new MaintenanceRepository(sequelize),
    transaction: (work) => sequelize.transaction(work),
    ping: async () => {
      await sequelize.query("SELECT 1");
    },
    busy: () => {
      // sequelize-pool's counters; not in Sequelize's types, hence read defensively.
      const pool = (sequelize.connectionManager as unknown as { pool?: { waiting?: unknown } }).pool;
      return typeof pool?.waiting === "number" && pool.waiting > 0;
    },
  };
}
