import type { Sequelize } from "sequelize";
import { Agent } from "./agent.js";
import { Conversation } from "./conversation.js";
import { Invite } from "./invite.js";
import { McpServer } from "./mcp-server.js";
import { Member } from "./member.js";
import { Message } from "./message.js";
import { Template } from "./template.js";
import { Tool } from "./tool.js";
import { User } from "./user.js";

export { Agent, Conversation, Invite, McpServer, Member, Message, Template, Tool, User };
export type { ConversationStatus } from "./conversation.js";
export type { Role } from "./user.js";

export interface Models {
  User: typeof User;
  Agent: typeof Agent;
  Conversation: typeof Conversation;
  Message: typeof Message;
  Template: typeof Template;
  Member: typeof Member;
  Invite: typeof Invite;
  Tool: typeof Tool;
  McpServer: typeof McpServer;
}

/**
 * Binds a fresh subclass of each model to this Sequelize instance, so that two databases (or two
 * nodes in one test process) never share model state. Instances are still `instanceof` the base class.
 */
export function createModels(sequelize: Sequelize): Models {
  const models: Models = {
    User: class extends User {},
    Agent: class extends Agent {},
    Conversation: class extends Conversation {},
    Message: class extends Message {},
    Template: class extends Template {},
    Member: class extends Member {},
    Invite: class extends Invite {},
    Tool: class extends Tool {},
    McpServer: class extends McpServer {},
  };
  models.User.initModel(sequelize);
  models.Agent.initModel(sequelize);
  models.Conversation.initModel(sequelize);
  models.Message.initModel(sequelize);
  models.Template.initModel(sequelize);
  models.Member.initModel(sequelize);
  models.Invite.initModel(sequelize);
  models.Tool.initModel(sequelize);
  models.McpServer.initModel(sequelize);
  return models;
}
