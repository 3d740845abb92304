import { Router } from "express";
import type { AgentService } from "../../agents/agent-service.js";
import type { ChatService, QuestionTurn } from "../../chat/chat-service.js";
import type { Principal } from "../../auth/claims.js";
import type { Summaries } from "../../chat/summaries.js";
import { toMarkdown } from "../../conversations/conversation-export.js";
import { toPdf } from "../../conversations/conversation-pdf.js";
import type { ConversationService } from "../../conversations/conversation-service.js";
import {
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
  agents: AgentService;
  summaries: Summaries;
  limits: RateLimits;
  logger: Logger;
}

const idParam = (value: unknown) => parse(id, value, "conversation id");

/** `/conversations` of PROTOCOL.md section 4. */
export function conversationRoutes(deps: ConversationRoutesDeps): Router {
  const { conversations, chat } = deps;
  const router = Router();

  router.post("/", async (req, res) => {
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
  });

  router.get("/", async (req, res) => {
    const query = parse(listConversationsQuery, req.query, "query");
    res.json(await conversations.list(principalOf(req), query));
  });

  router.get("/:id", async (req, res) => {
    res.json(await conversations.detail(principalOf(req), idParam(req.params.id)));
  });

  router.get("/:id/messages", async (req, res) => {
    const query = parse(messagesQuery, req.query, "query");
    res.json(await conversations.messages(principalOf(req), idParam(req.params.id), query));
  });

  /** A turn's REST answer once its answer has ended; a failed answer is the error it ended with. */
  const turnResult = async (principal: Principal, conversationId: string, turn: QuestionTurn) => {
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
  };

  router.post("/:id/messages", async (req, res) => {
    const principal = principalOf(req);
    const conversationId = idParam(req.params.id);
    const input = parse(postMessageBody, req.body, "body");
    const turn = await chat.send(principal, { ...input, conversationId });
    res.status(turn.duplicate ? 200 : 201).json(await turnResult(principal, conversationId, turn));
  });

  router.post("/:id/messages/:messageId/edit", async (req, res) => {
    const principal = principalOf(req);
    const conversationId = idParam(req.params.id);
    const messageId = parse(id, req.params.messageId, "message id");
    const input = parse(editBody, req.body, "body");
    const turn = await chat.edit(principal, { ...input, conversationId, messageId });
    res.status(turn.duplicate ? 200 : 201).json(await turnResult(principal, conversationId, turn));
  });

  router.post("/:id/messages/:messageId/regenerate", async (req, res) => {
    const principal = principalOf(req);
    const conversationId = idParam(req.params.id);
    const messageId = parse(id, req.params.messageId, "message id");
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
  });

  router.post("/:id/checkout", async (req, res) => {
    const conversationId = idParam(req.params.id);
    const { messageId } = parse(checkoutBody, req.body, "body");
    res.json({ conversation: await chat.checkout(principalOf(req), { conversationId, messageId }) });
  });

  router.get("/:id/tree", async (req, res) => {
    res.json(await conversations.tree(principalOf(req), idParam(req.params.id)));
  });

  router.post("/:id/stop", async (req, res) => {
    res.json({ stopped: await chat.stop(principalOf(req), idParam(req.params.id)) });
  });

  router.patch("/:id", async (req, res) => {
    const conversationId = idParam(req.params.id);
    const input = parse(patchConversationBody, req.body, "body");
    res.json(await conversations.update(principalOf(req), conversationId, input));
  });

  router.post("/:id/archive", async (req, res) => {
    const conversationId = idParam(req.params.id);
    const input = parse(archiveBody, req.body, "body");
    res.json(await conversations.archive(principalOf(req), conversationId, input.archive));
  });

  router.delete("/:id", async (req, res) => {
    await conversations.remove(principalOf(req), idParam(req.params.id));
    res.status(204).end();
  });

  router.post("/:id/summary", async (req, res) => {
    const principal = principalOf(req);
    const conversation = await conversations.require(principal, idParam(req.params.id), "manage");
    // A summary is a vendor call like an answer: it counts against the same per-user limit.
    await deps.limits.consume("message", principal.userId);
    const agent = await deps.agents.get(conversation.agentId);
    res.json({ summary: await deps.summaries.summarize(conversation, agent) });
  });

  router.get("/:id/export", async (req, res) => {
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
    else if (format === "pdf") res.type("application/pdf").send(await toPdf(data));
    else res.json(data);
  });

  return router;
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
