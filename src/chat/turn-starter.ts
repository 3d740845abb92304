import type { Principal } from "../auth/claims.js";
import type { ConversationPolicy } from "../conversations/conversation-policy.js";
import { ConversationService } from "../conversations/conversation-service.js";
import type { AgentRecord, BranchedMessage, ConversationRecord, MessageRecord, Tx } from "../db/records.js";
import {
  DuplicateClientMessageId,
  type ConversationRepository,
  type MessageRepository,
  type NewTurn,
  type Repositories,
  type StoredTurn,
  type TurnContextRecord,
} from "../db/repositories/index.js";
import { AppError, notFound } from "../errors.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { EditInput, SendInput } from "../protocol/index.js";
import { countTextTokens } from "../tokens/token-counter.js";
import type { TurnContext } from "./answer-writer.js";
import type { Recovery } from "./recovery.js";
import type { AttachedFiles, FileService } from "../files/file-service.js";
import { GroupCommit, type GroupOutcome } from "./group-commit.js";

export interface TurnStarterDeps {
  repositories: {
    conversations: Pick<ConversationRepository, "lock" | "turnContext">;
    messages: Pick<MessageRepository, "createTurn" | "findBranched" | "findByClientMessageId">;
    transaction: Repositories["transaction"];
  };
  policy: Pick<ConversationPolicy, "check" | "checkAuthor">;
  recovery: Pick<Recovery, "interruptStale">;
  /** The per-user message limit, shared by sockets and REST. */
  limits?: Pick<RateLimits, "consume" | "tryConsume" | "refund"> | undefined;
  /** GENERATION_LEASE_MS: an answer not checkpointed this long may belong to a dead node. */
  leaseMs: number;
  /** The files a message sends; none: messages carry no files. */
  files?: Pick<FileService, "attach" | "claim"> | undefined;
  /** Counts a message's tokens (by default the tokenizer, in bounded time). */
  countTokens?: ((text: string) => Promise<number>) | undefined;
  /**
   * Group commit of the turns that arrive together (several in one transaction); none: each turn
   * has a transaction of its own.
   */
  groups?: TurnGroups | undefined;
}

/** What group commit needs: the statements for several turns at once, and how many groups run. */
export interface TurnGroups {
  conversations: Pick<ConversationRepository, "lockAll" | "turnContexts">;
  messages: Pick<MessageRepository, "createTurns">;
  /** Transactions of turns at once at most (the others wait and then go together). */
  inFlight: number;
  /** Turns in one transaction at most. */
  maxSize: number;
}

/** A turn of a group that must run on its own, after the group (an answer to recover first). */
const ALONE = Symbol("alone");

/** A turn either starts, or repeats one (the same `clientMessageId`) that started before. */
export type TurnBeginning =
  | { kind: "started"; turn: TurnContext; interrupted: BranchedMessage[] }
  /** A user message stored without an answer (`assistantMode` manual without `askAssistant`, or off). */
  | {
      kind: "stored";
      conversation: ConversationRecord;
      question: BranchedMessage;
      interrupted: BranchedMessage[];
    }
  | { kind: "repeat"; first: BranchedMessage };

/**
 * What starts a turn: a user message after the head (`send`), a user message beside one sent before
 * (`edit`: same parent), or a new answer beside an ended one (`regenerate`: same question).
 */
export type TurnRequest =
  | { kind: "send"; input: SendInput }
  | { kind: "edit"; input: EditInput }
  | { kind: "regenerate"; conversationId: string; messageId: string };

/**
 * Starts a turn in one short transaction: one statement locks the conversation; one reads its agent,
 * a repeat of the `clientMessageId`, the answer being written and the message an edit or a
 * regeneration names; one stores the user message and its answer row and moves the conversation and
 * its head on. Everything else (the rate limit, counting the message's tokens) happens before it, so
 * no lock is held while anything but the database works.
 */
export class TurnStarter {
  private readonly groups: GroupCommit<TurnAttempt, TurnBeginning> | undefined;

  constructor(private readonly deps: TurnStarterDeps) {
    const groups = deps.groups;
    this.groups =
      groups &&
      new GroupCommit({
        inFlight: groups.inFlight,
        maxSize: groups.maxSize,
        keyOf: (attempt) => attempt.conversationId,
        run: (attempts) => this.startGroup(groups, attempts),
      });
  }

  /** `onAllowed` runs as soon as the caller is known to be allowed to send, before anything is stored. */
  async begin(
    principal: Principal,
    request: TurnRequest,
    onAllowed: () => void | Promise<void> = () => undefined,
  ): Promise<TurnBeginning> {
    await this.deps.limits?.consume("message", principal.userId);
    const written = request.kind === "regenerate" ? undefined : request.input;
    // Counted before the transaction (and never inside it): the count may yield to other clients.
    const countTokens = this.deps.countTokens ?? countTextTokens;
    const attempt: TurnAttempt = {
      principal,
      request,
      conversationId: request.kind === "regenerate" ? request.conversationId : request.input.conversationId,
      written,
      contentTokens: written ? await countTokens(written.content) : 0,
      onAllowed,
    };
    try {
      // A message with files is checked and claimed on its own.
      if (this.groups && (written?.fileIds ?? []).length === 0) return await this.groups.submit(attempt);
      return await this.startAlone(attempt);
    } catch (err) {
      return this.afterRefusal(attempt, err);
    }
  }

  private startAlone(attempt: TurnAttempt): Promise<TurnBeginning> {
    return this.deps.repositories.transaction((tx) => this.startLocked(tx, attempt));
  }

  /**
   * The turns that arrived together, in one transaction of three statements whatever their number:
   * one locks their conversations, one reads what each must know, one stores them all. A refused
   * turn is refused alone; a turn with an answer to recover first runs alone after the group. When
   * the transaction fails (a `clientMessageId` raced on another node, the database away), each turn
   * runs alone, as if it had come alone: its own refusal or failure is its own.
   */
  private async startGroup(
    groups: TurnGroups,
    attempts: TurnAttempt[],
  ): Promise<GroupOutcome<TurnBeginning>[]> {
    let outcomes: (GroupOutcome<TurnBeginning> | typeof ALONE)[];
    if (attempts.length === 1) outcomes = [ALONE];
    else {
      try {
        outcomes = await this.deps.repositories.transaction((tx) =>
          this.startLockedGroup(tx, groups, attempts),
        );
      } catch {
        outcomes = attempts.map(() => ALONE);
      }
    }
    return Promise.all(
      outcomes.map(async (outcome, i) => {
        if (outcome !== ALONE) return outcome;
        try {
          return { ok: true as const, value: await this.startAlone(attempts[i]!) };
        } catch (error) {
          return { ok: false as const, error };
        }
      }),
    );
  }

  /** `startLocked` for several turns, each in a conversation of its own. */
  private async startLockedGroup(
    tx: Tx,
    groups: TurnGroups,
    attempts: TurnAttempt[],
  ): Promise<(GroupOutcome<TurnBeginning> | typeof ALONE)[]> {
    const locked = await groups.conversations.lockAll(
      attempts.map((a) => a.conversationId),
      tx,
    );
    const byId = new Map(locked.map((c) => [c.id, c]));
    const found = attempts.filter((a) => byId.has(a.conversationId));
    const contexts = await groups.conversations.turnContexts(
      found.map((a) => ({ conversation: byId.get(a.conversationId)!, lookup: this.lookupOf(a) })),
      tx,
    );
    const outcomes = new Map<TurnAttempt, GroupOutcome<TurnBeginning> | typeof ALONE>();
    const planned: { attempt: TurnAttempt; rows: NewTurn; agent: AgentRecord; place: Place }[] = [];
    for (const [i, attempt] of found.entries()) {
      const context = contexts[i]!;
      const conversation = byId.get(attempt.conversationId)!;
      try {
        await this.admit(attempt, context);
        const { agent, place, answers } = accepted(attempt.request, conversation, context);
        // Recovering a dead node's answer writes: it runs alone, so that a refusal undoes it.
        if (context.writing?.stale) {
          outcomes.set(attempt, ALONE);
          continue;
        }
        if (context.writing) {
          throw new AppError("generation_in_progress", "an answer is being written in this conversation");
        }
        const rows = turnRows(attempt, {
          conversation,
          callerName: context.callerName,
          place,
          answerer: answers ? agent : undefined,
          attached: undefined,
        });
        planned.push({ attempt, rows, agent, place });
      } catch (error) {
        if (!(error instanceof AppError || error instanceof RepeatedSend)) throw error;
        outcomes.set(attempt, { ok: false, error });
      }
    }
    const created =
      planned.length > 0
        ? await groups.messages.createTurns(
            planned.map((p) => p.rows),
            tx,
          )
        : [];
    for (const [i, { attempt, agent, place }] of planned.entries()) {
      outcomes.set(attempt, { ok: true, value: beginningOf(created[i]!, { agent, place, interrupted: [] }) });
    }
    return attempts.map((a) => outcomes.get(a) ?? { ok: false, error: notFound("conversation") });
  }

  /** What a turn looks up under its conversation's lock. */
  private lookupOf({ principal, request, written }: TurnAttempt) {
    return {
      caller: principal.userId,
      clientMessageId: written?.clientMessageId ?? null,
      leaseSeconds: this.deps.leaseMs / 1000,
      targetId:
        request.kind === "send"
          ? null
          : request.kind === "edit"
            ? request.input.messageId
            : request.messageId,
    };
  }

  /**
   * The turn under its conversation's lock, each refusal in the order a caller learns them: who may
   * send, whether the conversation takes the turn, whether an answer is still written; then the rows.
   */
  private async startLocked(tx: Tx, attempt: TurnAttempt): Promise<TurnBeginning> {
    const { conversation, context } = await this.readLocked(tx, attempt);
    await this.admit(attempt, context);
    const { agent, place, answers } = accepted(attempt.request, conversation, context);
    const interrupted = await this.endDeadAnswer(tx, conversation.id, context.writing);
    const attached = await this.attach(tx, attempt, agent, context.target);
    const rows = turnRows(attempt, {
      conversation,
      callerName: context.callerName,
      place,
      answerer: answers ? agent : undefined,
      attached,
    });
    const created = await this.deps.repositories.messages.createTurn(rows, tx);
    if (attached && created.question) {
      await this.deps.files!.claim(tx, attached.unsent, created.question.id);
    }
    return beginningOf(created, { agent, place, interrupted });
  }

  /**
   * The files the message sends, checked before anything is stored: the sender's uploads to this
   * conversation, not sent yet, of types the agent reads. None: the turn carries no files.
   */
  private async attach(
    tx: Tx,
    attempt: TurnAttempt,
    agent: AgentRecord,
    target: MessageRecord | null,
  ): Promise<AttachedFiles | undefined> {
    const fileIds = attempt.written?.fileIds ?? [];
    if (fileIds.length === 0) return undefined;
    if (!this.deps.files) throw new AppError("validation_failed", "this server takes no files");
    // An edit may send again the files of the message it replaces (an edit of an edit too).
    const resendable =
      attempt.request.kind === "edit" && target
        ? target.parts.flatMap((p) => (p.type === "file" ? [p.fileId] : []))
        : [];
    return this.deps.files.attach(tx, {
      conversationId: attempt.conversationId,
      fileIds,
      senderId: attempt.principal.userId,
      resendable,
      agent,
    });
  }

  /** Locks the conversation, then reads what the turn must know of it. */
  private async readLocked(
    tx: Tx,
    attempt: TurnAttempt,
  ): Promise<{ conversation: ConversationRecord; context: TurnContextRecord }> {
    const { conversations } = this.deps.repositories;
    const conversation = await conversations.lock(attempt.conversationId, tx);
    if (!conversation) throw notFound("conversation");
    // A statement of its own, after the lock: it sees what a turn it waited for has committed.
    const context = await conversations.turnContext(conversation, this.lookupOf(attempt), tx);
    return { conversation, context };
  }

  /** A member who may write may send; an edit, only of a message they wrote. Then `onAllowed` runs. */
  private async admit(
    { principal, request, onAllowed }: TurnAttempt,
    context: TurnContextRecord,
  ): Promise<void> {
    const role = this.deps.policy.check(context.role, "write");
    if (request.kind === "edit" && context.target?.role === "user") {
      this.deps.policy.checkAuthor(principal, role, context.target.authorId ?? null);
    }
    await onAllowed();
  }

  /**
   * One answer at a time: an answer still streaming refuses the turn, unless its lease ran out and
   * recovery stores it as a dead node's. Returns the answers recovery stored (to announce).
   */
  private async endDeadAnswer(
    tx: Tx,
    conversationId: string,
    writing: TurnContextRecord["writing"],
  ): Promise<BranchedMessage[]> {
    const interrupted = writing?.stale ? await this.deps.recovery.interruptStale(tx, conversationId) : [];
    if (writing && !interrupted.some((m) => m.id === writing.id)) {
      throw new AppError("generation_in_progress", "an answer is being written in this conversation");
    }
    return interrupted;
  }

  /**
   * After the transaction refused the turn: a repeated `clientMessageId` answers with the first
   * message, and a send that starts nothing (a repeat, or refused while an answer is written) gives
   * its message back; any other refusal stands.
   */
  private async afterRefusal(attempt: TurnAttempt, err: unknown): Promise<TurnBeginning> {
    if (err instanceof RepeatedSend) {
      await this.refund(attempt.principal);
      const first = await this.deps.repositories.messages.findBranched(err.firstId);
      if (first) return { kind: "repeat", first };
    }
    if (err instanceof DuplicateClientMessageId) {
      const first = await this.raceWinner(attempt);
      if (first) {
        await this.refund(attempt.principal);
        return { kind: "repeat", first };
      }
    }
    if (err instanceof AppError && err.code === "generation_in_progress")
      await this.refund(attempt.principal);
    throw err;
  }

  /** Two nodes raced with the same clientMessageId: the unique index decided; the message it kept. */
  private async raceWinner({ conversationId, written }: TurnAttempt): Promise<BranchedMessage | null> {
    if (!written?.clientMessageId) return null;
    const { messages } = this.deps.repositories;
    const stored = await messages.findByClientMessageId(conversationId, written.clientMessageId);
    return stored && (await messages.findBranched(stored.id));
  }

  /**
   * A send that starts nothing costs no message, up to a bound: past it, such sends count as
   * messages again (each cost a count and a lock).
   */
  private async refund(principal: Principal): Promise<void> {
    const { limits } = this.deps;
    if (limits && (await limits.tryConsume("refusedSend", principal.userId)))
      await limits.refund("message", principal.userId);
  }
}

/** One call of `begin`: who asks, for what, and the new message's token count. */
interface TurnAttempt {
  principal: Principal;
  request: TurnRequest;
  conversationId: string;
  /** The user message the turn stores (none when an answer is regenerated). */
  written: SendInput | undefined;
  contentTokens: number;
  onAllowed: () => void | Promise<void>;
}

/** Where the turn's first new message goes, and the question an answer is regenerated for. */
type Place = ReturnType<typeof placeOf>;

/**
 * Refuses a turn the conversation does not take: deleted, a repeat, archived or its agent gone, a
 * message misplaced, or an answer over the conversation's token budget. Returns its agent, where the
 * turn goes and whether it starts an answer.
 */
function accepted(
  request: TurnRequest,
  conversation: ConversationRecord,
  context: TurnContextRecord,
): { agent: AgentRecord; place: Place; answers: boolean } {
  // PROTOCOL.md guarantee 6: to its owner, a deleted conversation refuses turns as not active.
  if (conversation.status === "deleted") {
    throw new AppError("conversation_not_active", "the conversation is deleted");
  }
  if (context.duplicateId) throw new RepeatedSend(context.duplicateId);
  ConversationService.assertAcceptsTurns(conversation, context.agent);
  const agent = context.agent!;
  const place = placeOf(request, conversation.headId, context);
  const answers = startsAnswer(request, conversation.assistantMode);
  if (answers && conversation.totalTokensUsed >= agent.maxConversationTokens) {
    throw new AppError(
      "token_limit_reached",
      `the conversation has used ${conversation.totalTokensUsed} of its ${agent.maxConversationTokens} tokens`,
    );
  }
  return { agent, place, answers };
}

/** The turn as stored: started (with its answer to write), or a user message that asks no answer. */
function beginningOf(
  created: StoredTurn,
  { agent, place, interrupted }: { agent: AgentRecord; place: Place; interrupted: BranchedMessage[] },
): TurnBeginning {
  if (!created.answer) {
    return { kind: "stored", conversation: created.conversation, question: created.question!, interrupted };
  }
  const turn: TurnContext = {
    conversation: created.conversation,
    agent,
    question: created.question ?? place.question!,
    newQuestion: created.question,
    assistant: created.answer,
  };
  return { kind: "started", turn, interrupted };
}

/** The rows the turn stores: its question (unless an answer is regenerated), and its answer if any. */
function turnRows(
  { principal, written, contentTokens }: TurnAttempt,
  where: {
    conversation: ConversationRecord;
    callerName: string | null;
    place: Place;
    /** The agent that answers; none when the turn starts no answer. */
    answerer: AgentRecord | undefined;
    /** The files the message sends. */
    attached: AttachedFiles | undefined;
  },
): NewTurn {
  const { conversation, place, answerer, attached } = where;
  return {
    conversationId: conversation.id,
    seq: conversation.totalMessages + 1,
    ...(written
      ? {
          question: {
            parentId: place.parentId,
            // Blank text beside files is no text: the message is its files.
            content: attached && written.content.trim() === "" ? "" : written.content,
            clientMessageId: written.clientMessageId ?? null,
            contentTokens: contentTokens + (attached?.tokens ?? 0),
            fileParts: attached?.parts ?? [],
            metadata: written.metadata ?? {},
            author: { id: principal.userId, name: where.callerName },
          },
        }
      : { answerParentId: place.parentId! }),
    ...(answerer
      ? {
          answer: {
            modelUsed: answerer.model,
            llmProvider: answerer.provider,
            temperature: answerer.temperature,
          },
        }
      : {}),
  };
}

/**
 * Where the turn's first new message goes in the tree: after the head (a send), beside the edited
 * question, or beside the regenerated answer (whose question is asked again). Refuses a message of
 * another conversation (`not_found`) and one of the wrong kind (`validation_failed`).
 */
function placeOf(
  request: TurnRequest,
  headId: string | null,
  context: { target: MessageRecord | null; targetParent: MessageRecord | null },
): { parentId: string | null; question?: MessageRecord } {
  if (request.kind === "send") return { parentId: headId };
  const { target, targetParent } = context;
  if (!target) throw notFound("message");
  if (request.kind === "edit") {
    if (target.role !== "user") throw invalid("only a user message can be edited");
    return { parentId: target.parentId ?? null };
  }
  if (target.role !== "assistant") throw invalid("only an answer can be regenerated");
  // One still streaming is the answer being written: the turn is refused as `generation_in_progress`.
  if (!targetParent || targetParent.role !== "user") {
    throw invalid("only an answer to a user message can be regenerated");
  }
  return { parentId: targetParent.id, question: targetParent };
}

const invalid = (message: string) => new AppError("validation_failed", message);

/**
 * Whether the turn starts an answer (PROTOCOL.md: who answers): in `auto` each user message does; in
 * `manual` only one sent with `askAssistant: true`, and a regenerate (an explicit ask); in `off`
 * none, and a regenerate is refused.
 */
function startsAnswer(request: TurnRequest, mode: ConversationRecord["assistantMode"]): boolean {
  if (request.kind === "regenerate") {
    if (mode === "off") throw invalid("the assistant is off in this conversation");
    return true;
  }
  if (mode === "auto") return true;
  return mode === "manual" && request.input.askAssistant === true;
}

/** Thrown inside the send transaction to end it early when the clientMessageId was seen before. */
class RepeatedSend extends Error {
  constructor(readonly firstId: string) {
    super("repeated send");
  }
}
