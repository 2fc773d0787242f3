/**
 * The fleet's per-client MQTT topics, in one place for the ACL (./resolve.ts), the renderers, the
 * docs and the verify checks. Each client publishes only under its own name, so the broker's ACL
 * can hold every client to its own topics.
 */

/** A mirror's heartbeats (not retained). */
export const presenceTopic = (client: string): string => `lyra/presence/${client}`;

/** A host's health (see the health publisher). */
export const healthTopic = (host: string): string => `lyra/health/${host}`;

/** A client's retained registration, and its last will marking it offline. */
export const registrationTopic = (client: string): string => `lyra/clients/online/${client}`;

/** Every client's registration: what an operator watches, `mosquitto_sub -t 'lyra/clients/online/#' -v`. */
export const registrationTopics = "lyra/clients/online/#";
