import { AnswerWriter } from "../../../src/chat/answer-writer.js";
import { BranchCheckout } from "../../../src/chat/branch-checkout.js";
import { ChatService, type OtherNodesOfChat } from "../../../src/chat/chat-service.js";
import { LocalAnswers } from "../../../src/chat/local-answers.js";
import { Recovery } from "../../../src/chat/recovery.js";
import { TurnReports } from "../../../src/chat/turn-reports.js";
import { TurnStarter } from "../../../src/chat/turn-starter.js";
import { ConversationPolicy } from "../../../src/conversations/conversation-policy.js";
import type { Tx } from "../../../src/db/records.js";
import { AppError } from "../../../src/errors.js";
import { RateLimits } from "../../../src/limits/rate-limits.js";
import { createLogger, type Logger } from "../../../src/observability/logger.js";
import { ModelRegistry } from "../../../src/providers/model-registry.js";
import { ScriptedChatModel } from "./chat-model.js";
import { FakeChatStore } from "./chat-store.js";
import { MemoryLeases } from "./leases.js";
import { newId } from "./records.js";
import { RecordingNotifier } from "./notifier.js";

export const LEASE_MS = 10_000;

export interface ChatPartsOptions {
  /** The per-user message limit (a minute). */
  messagesPerMinute?: number;
  /** How often answers are checkpointed; by default too seldom to happen in a test. */
  checkpointMs?: number;
  otherNodes?: OtherNodesOfChat;
}

/**
 * The chat's real services, wired as the composition root wires them, over fakes of what lies
 * outside (the store, the rooms, the model, the leases): the rules of a turn without a database.
 */
export function chatOnFakes(options: ChatPartsOptions = {}) {
  const store = new FakeChatStore();
  const notifier = new RecordingNotifier();
  const model = new ScriptedChatModel();
  const leases = new MemoryLeases();
  const logger = createLogger("silent");
  const counted: string[] = [];
  const countTokens = (text: string) => {
    counted.push(text);
    return Promise.resolve(Math.ceil(text.length / 4));
  };
  const repositories = {
    conversations: store.conversations,
    messages: store.messages,
    transaction: <T>(work: (tx: Tx) => Promise<T>) => store.transaction(work),
  };
  const limits = memoryLimits(options.messagesPerMinute ?? 1000, logger);
  const policy = new ConversationPolicy({ conversations: store.conversations });
  const reports = new TurnReports({ notifier });
  const answers = new LocalAnswers({
    messages: store.messages,
    leases,
    intervalMs: options.checkpointMs ?? 3_600_000,
    logger,
  });
  const recovery = new Recovery({
    repositories,
    answers,
    notifier,
    leases,
    reports,
    logger,
    leaseMs: LEASE_MS,
  });
  const starter = new TurnStarter({ repositories, policy, recovery, limits, leaseMs: LEASE_MS, countTokens });
  const writer = new AnswerWriter({
    repositories,
    conversations: { history: store.history },
    modelRegistry: new ModelRegistry({ demo: model }),
    notifier,
    answers,
    leases,
    logger,
    reports,
    streamFlushMs: 0,
    maxOutputTokens: 256,
  });
  const chat = new ChatService({
    repositories,
    policy,
    starter,
    checkout: new BranchCheckout({ repositories, policy, recovery, leaseMs: LEASE_MS }),
    writer,
    answers,
    recovery,
    reports,
    notifier,
    logger,
    otherNodes: options.otherNodes,
  });
  return {
    store,
    notifier,
    model,
    leases,
    limits,
    counted,
    answers,
    recovery,
    starter,
    writer,
    chat,
    close: () => answers.close(),
  };
}

/** The real rate limits, in this process's memory (as a node without Redis keeps them). */
function memoryLimits(messagesPerMinute: number, logger: Logger): RateLimits {
  const rateLimits = {
    messagesPerMinute,
    connectionsPerMinute: 1000,
    requestsPerMinute: 1000,
    uploadsPerMinute: 1000,
    socketEventsPerSecond: 1000,
  };
  return new RateLimits({ rateLimits, logger, keyPrefix: newId("limit") });
}

/** Waits until `condition` holds (polling), failing after `ms` with `what`. */
export async function eventually(condition: () => boolean, what: string, ms = 2000): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited >= ms) throw new Error(`still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The code the call was refused with; fails the test when it was not refused. */
export async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  throw new Error("expected a refusal, but the call went through");
}
