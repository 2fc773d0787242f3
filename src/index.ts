/**
 * The program `pulumi up` runs: load the stack's fleet, build every host's plan, declare the
 * resources, export what operators look up. An invalid stack throws before any resource exists.
 */
import * as pulumi from "@pulumi/pulumi";
import { requiredSecretKeys, secretKeys } from "./model/fleet";
import { fleetConfigKey, parseFleet, stackFilePath } from "./model/load";
import { planFleet } from "./render";
import { Fleet } from "./fleet/fleet";
import { fleetExports } from "./fleet/exports";

const config = new pulumi.Config("lyra-fleet");
const model = parseFleet(config.getObject<unknown>(fleetConfigKey.split(":")[1]), stackFilePath(pulumi.getStack()));
const plans = planFleet(model);
const secrets = Object.fromEntries(requiredSecretKeys(model).map((key) => [key, config.requireSecret(key)]));
const fleet = new Fleet("fleet", { model, plans, secrets, privateKey: config.getSecret(secretKeys.sshPrivateKey) });

export const hosts = fleetExports(model, plans);
export const broker = `${model.broker.host}:${model.broker.port}`;
export const fleetUrn = fleet.urn;
