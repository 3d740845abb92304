import type { FileService } from "../../files/file-service.js";
import { Router, type RequestHandler } from "express";
import type { ToolDecisions } from "../../chat/tool-decisions.js";
import type { AgentService } from "../../agents/agent-service.js";
import type { ChatService, QuestionTurn } from "../../chat/chat-service.js";
import type { Principal } from "../../auth/claims.js";
import type { Summaries } from "../../chat/summaries.js";
import { toMarkdown } from "../../conversations/conversation-export.js";
import { toPdf } from "../../conversations/conversation-pdf.js";
import type { ConversationService } from "../../conversations/conversation-service.js";
import {
  decideBody,
  decidePayload,
  archiveBody,
  checkoutBody,
  createConversationBody,
  editBody,
  emptyBody,
  exportQuery,
  id,
  listConversationsQuery,
  messagesQuery,
  patchConversationBody,
  postMessageBody,
} from "../../protocol/index.js";
import { toConversationResource } from "../../conversations/resources.js";
import type { MessageResource, RegenerateResult, TurnResult } from "../../protocol/index.js";
import { AppError } from "../../errors.js";
import type { RateLimits } from "../../limits/rate-limits.js";
import type { Logger } from "../../observability/logger.js";
import { parse } from "../../validation.js";
import { principalOf } from "../request-context.js";

export interface ConversationRoutesDeps {
  conversations: ConversationService;
  chat: ChatService;
  decisions: ToolDecisions;
  agents: AgentService;
  summaries: Summaries;
  limits: RateLimits;
  logger: Logger;
  /** Where the PDF export reads images; none: files are named only. */
  files?: Pick<FileService, "bytes"> | undefined;
}

const idParam = (value: unknown) => parse(id, value, "conversation id");
const messageParam = (value: unknown) => parse(id, value, "message id");

/** `/conversations` of PROTOCOL.md section 4. */
export function conversationRoutes(deps: ConversationRoutesDeps): Router {
  const router = Router();
  router.post("/", createConversation(deps));
  router.get("/", listConversations(deps));
  router.get("/:id", conversationDetail(deps));
  router.get("/:id/messages", listMessages(deps));
  router.post("/:id/messages", sendMessage(deps));
  router.post("/:id/messages/:messageId/edit", editMessage(deps));
  router.post("/:id/messages/:messageId/regenerate", regenerateAnswer(deps));
  router.post("/:id/checkout", checkoutBranch(deps));
  router.get("/:id/tree", conversationTree(deps));
  router.post("/:id/stop", stopAnswer(deps));
  router.post("/:id/messages/:messageId/tools/:toolCallId/decision", decideTool(deps));
  router.patch("/:id", updateConversation(deps));
  router.post("/:id/archive", archiveConversation(deps));
  router.delete("/:id", deleteConversation(deps));
  router.post("/:id/summary", summarize(deps));
  router.get("/:id/export", exportConversation(deps));
  return router;
}

/** `POST /conversations`: with `initialMessage`, its first turn too, or nothing at all. */
function createConversation({ conversations, chat }: ConversationRoutesDeps): RequestHandler {
  return async (req, res) => {
    const principal = principalOf(req);
    const input = parse(createConversationBody, req.body, "body");
    let conversation = await conversations.create(principal, input);
    if (input.initialMessage !== undefined) {
      try {
        await chat.send(principal, { conversationId: conversation.id, content: input.initialMessage });
      } catch (err) {
        // All or nothing: a conversation whose first turn was refused (rate_limited…) is not kept.
        await conversations.discard(conversation);
        throw err;
      }
      conversation = await conversations.require(principal, conversation.id, "read");
    }
    res.status(201).json(toConversationResource(conversation, conversation.role));
  };
}

function listConversations({ conversations }: ConversationRoutesDeps): RequestHandler {
  return async (req, res) => {
    const query = parse(listConversationsQuery, req.query, "query");
    res.json(await conversations.list(principalOf(req), query));
  };
}

function conversationDetail({ conversations }: ConversationRoutesDeps): RequestHandler {
  return async (req, res) => {
    res.json(await conversations.detail(principalOf(req), idParam(req.params.id)));
  };
}

function listMessages({ conversations }: ConversationRoutesDeps): RequestHandler {
  return async (req, res) => {
    const query = parse(messagesQuery, req.query, "query");
    res.json(await conversations.messages(principalOf(req), idParam(req.params.id), query));
  };
}

/** A turn's REST answer once its answer has ended; a failed answer is the error it ended with. */
async function turnResult(
  conversations: ConversationService,
  principal: Principal,
  conversationId: string,
  turn: QuestionTurn,
): Promise<TurnResult> {
  const answer = await turn.answer;
  const conversation = await conversations.require(principal, conversationId, "read");
  const result: TurnResult = {
    conversationId,
    messageId: turn.message.id,
    assistantMessage: answer,
    totalTokensUsed: answer?.totalTokens ?? 0,
    conversationTotalTokens: conversation.totalTokensUsed,
    ...(turn.duplicate ? { duplicate: true } : {}),
  };
  if (answer) failIfFailed(answer, result);
  return result;
}

/** `POST /conversations/:id/messages`: a question, answered once its answer has ended. */
function sendMessage({ conversations, chat }: ConversationRoutesDeps): RequestHandler {
  return async (req, res) => {
    const principal = principalOf(req);
    const conversationId = idParam(req.params.id);
    const input = parse(postMessageBody, req.body, "body");
    const turn = await chat.send(principal, { ...input, conversationId });
    res
      .status(turn.duplicate ? 200 : 201)
      .json(await turnResult(conversations, principal, conversationId, turn));
  };
}

/** `POST /conversations/:id/messages/:messageId/edit`: a new version of a question, and its answer. */
function editMessage({ conversations, chat }: ConversationRoutesDeps): RequestHandler {
  return async (req, res) => {
    const principal = principalOf(req);
    const conversationId = idParam(req.params.id);
    const messageId = messageParam(req.params.messageId);
    const input = parse(editBody, req.body, "body");
    const turn = await chat.edit(principal, { ...input, conversationId, messageId });
    res
      .status(turn.duplicate ? 200 : 201)
      .json(await turnResult(conversations, principal, conversationId, turn));
  };
}

/** `POST /conversations/:id/messages/:messageId/regenerate`: another answer to the same question. */
function regenerateAnswer({ conversations, chat }: ConversationRoutesDeps): RequestHandler {
  return async (req, res) => {
    const principal = principalOf(req);
    const conversationId = idParam(req.params.id);
    const messageId = messageParam(req.params.messageId);
    parse(emptyBody, req.body ?? {}, "body");
    const turn = await chat.regenerate(principal, { conversationId, messageId });
    const answer = await turn.answer;
    const conversation = await conversations.require(principal, conversationId, "read");
    const result: RegenerateResult = {
      conversationId,
      assistantMessage: answer,
      totalTokensUsed: answer.totalTokens ?? 0,
      conversationTotalTokens: conversation.totalTokensUsed,
    };
    failIfFailed(answer, result);
    res.status(201).json(result);
  };
}

function checkoutBranch({ chat }: ConversationRoutesDeps): RequestHandler {
  return async (req, res) => {
    const conversationId = idParam(req.params.id);
    const { messageId } = parse(checkoutBody, req.body, "body");
    res.json({ conversation: await chat.checkout(principalOf(req), { conversationId, messageId }) });
  };
}

function conversationTree({ conversations }: ConversationRoutesDeps): RequestHandler {
  return async (req, res) => {
    res.json(await conversations.tree(principalOf(req), idParam(req.params.id)));
  };
}

function stopAnswer({ chat }: ConversationRoutesDeps): RequestHandler {
  return async (req, res) => {
    res.json({ stopped: await chat.stop(principalOf(req), idParam(req.params.id)) });
  };
}

function decideTool({ decisions }: ConversationRoutesDeps): RequestHandler {
  return async (req, res) => {
    const body = parse(decideBody, req.body, "body");
    const part = await decisions.decide(principalOf(req), {
      ...body,
      conversationId: idParam(req.params.id),
      messageId: messageParam(req.params.messageId),
      toolCallId: parse(decidePayload.shape.toolCallId, req.params.toolCallId, "tool call id"),
    });
    res.json({ part });
  };
}

function updateConversation({ conversations }: ConversationRoutesDeps): RequestHandler {
  return async (req, res) => {
    const conversationId = idParam(req.params.id);
    const input = parse(patchConversationBody, req.body, "body");
    res.json(await conversations.update(principalOf(req), conversationId, input));
  };
}

function archiveConversation({ conversations }: ConversationRoutesDeps): RequestHandler {
  return async (req, res) => {
    const conversationId = idParam(req.params.id);
    const input = parse(archiveBody, req.body, "body");
    res.json(await conversations.archive(principalOf(req), conversationId, input.archive));
  };
}

function deleteConversation({ conversations }: ConversationRoutesDeps): RequestHandler {
  return async (req, res) => {
    await conversations.remove(principalOf(req), idParam(req.params.id));
    res.status(204).end();
  };
}

function summarize(deps: ConversationRoutesDeps): RequestHandler {
  return async (req, res) => {
    const principal = principalOf(req);
    const conversation = await deps.conversations.require(principal, idParam(req.params.id), "manage");
    // A summary is a vendor call like an answer: it counts against the same per-user limit.
    await deps.limits.consume("message", principal.userId);
    const agent = await deps.agents.get(conversation.agentId);
    res.json({ summary: await deps.summaries.summarize(conversation, agent) });
  };
}

/** `GET /conversations/:id/export?format=`: the whole tree as JSON, the path as Markdown or PDF. */
function exportConversation({ conversations, files }: ConversationRoutesDeps): RequestHandler {
  return async (req, res) => {
    const conversationId = idParam(req.params.id);
    const { format } = parse(exportQuery, req.query, "query");
    const data = await conversations.exportOf(
      principalOf(req),
      conversationId,
      format === "json" ? "tree" : "path",
    );
    const extension = { json: "json", markdown: "md", pdf: "pdf" }[format];
    res.setHeader(
      "Content-Disposition",
      `attachment; filename="conversation-${conversationId}.${extension}"`,
    );
    if (format === "markdown") res.type("text/markdown; charset=utf-8").send(toMarkdown(data));
    else if (format === "pdf")
      res.type("application/pdf").send(await toPdf(data, files && ((id) => files.bytes(id))));
    else res.json(data);
  };
}

/**
 * A REST turn answers once its answer has ended: an answer that failed is the error it ended with
 * (`provider_error`, or `unavailable` when its server stopped), with the turn in `details`.
 */
function failIfFailed(answer: MessageResource, result: TurnResult | RegenerateResult): void {
  if (answer.status === "error" || answer.status === "interrupted") {
    const code = answer.status === "interrupted" ? "unavailable" : "provider_error";
    throw new AppError(code, answer.error?.message ?? "the answer failed", { details: result });
  }
}
