/**
 * The checks most services declare: their unit is active, and their HTTP endpoint answers 200 at
 * the host's FQDN (as the other hosts reach it). One spelling, so verify, the health gates and the
 * docs name every service's checks alike.
 */
import type { Host } from "../model/fleet";
import type { HealthCheck } from "./plan";

/** `<host>: <unit> active`. */
export function unitActive(host: Host, unit: string): HealthCheck {
  return { kind: "unit", name: `${host.name}: ${unit} active`, unit };
}

/** `<host>: <label>`: GET http://<fqdn>:<port><path> answers 200. */
export function httpAnswers(host: Host, label: string, port: number, path: string): HealthCheck {
  return { kind: "http", name: `${host.name}: ${label}`, url: `http://${host.fqdn}:${port}${path}`, expectStatus: 200 };
}
