import { Router } from "express";
import type { MemberService } from "../../members/member-service.js";
import {
  addMemberBody,
  createInviteBody,
  id,
  inviteToken,
  patchMemberBody,
  userId,
  type AcceptedInvite,
  type InviteList,
  type MemberList,
} from "../../protocol/index.js";
import { parse } from "../../validation.js";
import { principalOf } from "../request-context.js";

const conversationParam = (value: unknown) => parse(id, value, "conversation id");

/**
 * Members and invites (PROTOCOL.md: members): `/conversations/:id/members…`, `/conversations/:id/invites…`
 * and `POST /invites/:token/accept`. Who may do what is the access policy's (in `MemberService`).
 */
export function memberRoutes(deps: { members: MemberService }): Router {
  const router = Router();
  const { members } = deps;

  router.get("/conversations/:id/members", async (req, res) => {
    const body: MemberList = {
      members: await members.list(principalOf(req), conversationParam(req.params.id)),
    };
    res.json(body);
  });

  router.post("/conversations/:id/members", async (req, res) => {
    const input = parse(addMemberBody, req.body, "body");
    const { member, created } = await members.add(principalOf(req), conversationParam(req.params.id), input);
    res.status(created ? 201 : 200).json(member);
  });

  router.patch("/conversations/:id/members/:userId", async (req, res) => {
    const { role } = parse(patchMemberBody, req.body, "body");
    const member = parse(userId, req.params.userId, "user id");
    res.json(await members.setRole(principalOf(req), conversationParam(req.params.id), member, role));
  });

  router.delete("/conversations/:id/members/:userId", async (req, res) => {
    const member = parse(userId, req.params.userId, "user id");
    await members.remove(principalOf(req), conversationParam(req.params.id), member);
    res.status(204).end();
  });

  router.post("/conversations/:id/invites", async (req, res) => {
    const input = parse(createInviteBody, req.body, "body");
    res
      .status(201)
      .json(await members.createInvite(principalOf(req), conversationParam(req.params.id), input));
  });

  router.get("/conversations/:id/invites", async (req, res) => {
    const body: InviteList = {
      invites: await members.invites(principalOf(req), conversationParam(req.params.id)),
    };
    res.json(body);
  });

  router.delete("/conversations/:id/invites/:inviteId", async (req, res) => {
    const inviteId = parse(id, req.params.inviteId, "invite id");
    await members.revokeInvite(principalOf(req), conversationParam(req.params.id), inviteId);
    res.status(204).end();
  });

  router.post("/invites/:token/accept", async (req, res) => {
    const token = parse(inviteToken, req.params.token, "invite token");
    const body: AcceptedInvite = { conversation: await members.accept(principalOf(req), token) };
    res.json(body);
  });

  return router;
}
