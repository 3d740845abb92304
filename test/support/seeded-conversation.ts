import { randomUUID } from "node:crypto";
import type { Sequelize } from "sequelize";
import type { Models } from "../../src/db/models/index.js";

export interface SeedOptions {
  userId: string;
  agentId: string;
  /** Messages on the path to the head: question, answer, question, … */
  messages: number;
  /**
   * Side branches: each a regenerated answer beside one of the path's answers, with a question and
   * an answer under it (three messages), spread along the path. Their `seq` falls between the path's.
   */
  branches?: number;
  /** The text of the path's message at this position (1-based); "question|answer number <position>" by default. */
  content?: (position: number, role: "user" | "assistant") => string;
  /** Every message's stored token count. */
  tokens?: number;
  title?: string;
}

/** A conversation written straight into the database, as turns would have stored it. */
export interface SeededConversation {
  id: string;
  /** The path's message ids, from the first (index 0) to the head. */
  path: string[];
  /** The first message of each side branch. */
  branchIds: string[];
}

/**
 * Writes a long conversation (and its branches) in one statement: parent links, `seq` without gaps
 * across branches, the head at the end of the path.
 */
export async function seedConversation(
  db: { models: Models; sequelize: Sequelize },
  o: SeedOptions,
): Promise<SeededConversation> {
  const { models, sequelize } = db;
  await models.User.findOrCreate({ where: { id: o.userId }, defaults: { id: o.userId, role: "user" } });
  const conversation = await models.Conversation.create({
    userId: o.userId,
    agentId: o.agentId,
    title: o.title ?? "seeded",
  });
  const roleAt = (position: number) => (position % 2 === 1 ? "user" : "assistant");
  const text = o.content ?? ((n, role) => `${role === "user" ? "question" : "answer"} number ${n}`);
  const rows: { id: string; parentId: string | null; role: string; content: string }[] = [];
  const path: string[] = [];
  const branchIds: string[] = [];
  const branches = o.branches ?? 0;
  const answers = Math.floor(o.messages / 2);
  for (let position = 1; position <= o.messages; position++) {
    const id = randomUUID();
    const role = roleAt(position);
    rows.push({ id, parentId: path.at(-1) ?? null, role, content: text(position, role) });
    path.push(id);
    // After an answer, the side branches that sit beside it.
    if (role === "assistant" && branches > 0) {
      const answerIndex = position / 2;
      const here =
        Math.floor((answerIndex * branches) / answers) - Math.floor(((answerIndex - 1) * branches) / answers);
      for (let b = 0; b < here; b++) {
        const sibling = randomUUID();
        const question = randomUUID();
        rows.push({
          id: sibling,
          parentId: path.at(-2)!,
          role: "assistant",
          content: `another answer ${position}`,
        });
        rows.push({ id: question, parentId: sibling, role: "user", content: `a side question ${position}` });
        rows.push({
          id: randomUUID(),
          parentId: question,
          role: "assistant",
          content: `a side answer ${position}`,
        });
        branchIds.push(sibling);
      }
    }
  }
  // The head is the path's last message: its seq must be the newest.
  const last = rows.findIndex((r) => r.id === path.at(-1));
  rows.push(...rows.splice(last, 1));
  await sequelize.query(
    `INSERT INTO messages (id, conversation_id, parent_id, seq, role, content, status, content_tokens)
     SELECT r.id, $1, r.parent_id, r.seq, r.role, r.content, 'complete', $2
       FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::text[]) WITH ORDINALITY AS r(id, parent_id, role, content, seq)`,
    {
      bind: [
        conversation.id,
        o.tokens ?? 3,
        rows.map((r) => r.id),
        rows.map((r) => r.parentId),
        rows.map((r) => r.role),
        rows.map((r) => r.content),
      ],
    },
  );
  await models.Member.create({ conversationId: conversation.id, userId: o.userId, role: "owner" });
  await conversation.update({
    totalMessages: rows.length,
    lastMessageAt: new Date(),
    headId: path.at(-1) ?? null,
  });
  return { id: conversation.id, path, branchIds };
}
