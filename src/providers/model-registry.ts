import type { ProviderName } from "../protocol/index.js";
import { AppError } from "../errors.js";
import type { ChatModel } from "./chat-model.js";

/** Which ChatModel answers for each provider name; a provider without a model is not configured. */
export class ModelRegistry {
  constructor(private readonly models: Partial<Record<ProviderName, ChatModel>>) {}

  has(provider: ProviderName): boolean {
    return this.models[provider] !== undefined;
  }

  forAgent(agent: { provider: ProviderName }): ChatModel {
    const model = this.models[agent.provider];
    if (!model)
      throw new AppError("provider_error", `the ${agent.provider} provider is not configured on this server`);
    return model;
  }
}
