/**
 * The fleet's window of unanswered registrations: the program declares more only once the engine
 * has answered enough of them, whichever they are, and a failed registration does not stop it.
 * The engine is the SDK's mock monitor, holding each answer until the test gives it: the window
 * reads the SDK's own URN promise, so an SDK upgrade that changes it fails here.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { RegistrationWindow } from "../../src/fleet/registration-window";

class Thing extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:Thing", name, {});
  }
}

/** The mock engine's answers, held by resource name until answer() gives them. */
const held = new Map<string, () => void>();
const answer = (name: string) => held.get(name)!();

/** Whether a promise settles while the event loop runs a few times. */
async function settles(promise: Promise<void>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

/** A resource as the window sees it, whose registration is answered (or fails) when `answered` settles. */
const registered = (answered: Promise<unknown>) => ({ urn: { promise: () => answered } }) as unknown as pulumi.Resource;

test("room waits while more than the limit are unanswered, and any answer makes room", async () => {
  await pulumi.runtime.setMocks({
    newResource: (args) =>
      new Promise((resolve) => held.set(args.name, () => resolve({ id: `${args.name}-id`, state: {} }))),
    call: () => ({}),
  });
  const window = new RegistrationWindow(2);
  for (const name of ["a", "b"]) window.add(new Thing(name));
  assert.equal(await settles(window.room()), true, "two unanswered fit a window of two");

  window.add(new Thing("c"));
  const room = window.room();
  assert.equal(await settles(room), false, "three unanswered: the program waits");
  answer("c"); // the newest: any answer makes room, not only the oldest's
  assert.equal(await settles(room), true);
  for (const name of ["a", "b"]) answer(name);
});

test("a failed registration counts as answered, and room does not reject", async () => {
  let fail!: (error: Error) => void;
  const failing = new Promise((_, reject) => (fail = reject));
  const window = new RegistrationWindow(0);
  window.add(registered(failing));
  const room = window.room();
  assert.equal(await settles(room), false);
  fail(new Error("the engine refused it"));
  assert.equal(await settles(room), true);
  await room; // resolves: the SDK reports the failure itself
});

test("every caller waiting for room is woken by the answer that makes it", async () => {
  let answerIt!: () => void;
  const window = new RegistrationWindow(0);
  window.add(registered(new Promise<void>((resolve) => (answerIt = resolve))));
  const first = window.room();
  const second = window.room();
  assert.equal(await settles(first), false);
  answerIt();
  assert.deepEqual([await settles(first), await settles(second)], [true, true]);
});

test("a resource whose URN has no promise (an SDK that moved it) is not counted", async () => {
  const window = new RegistrationWindow(0);
  window.add({ urn: {} } as unknown as pulumi.Resource);
  assert.equal(await settles(window.room()), true);
});
