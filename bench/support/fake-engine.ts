/**
 * A stand-in for the Pulumi engine's two gRPC services the program talks to (the resource monitor
 * and the engine), answering at once, so a benchmark measures the program's own evaluation as the
 * real runner performs it, not the engine's or the providers' work.
 *
 * It answers like a preview of new resources: every registration gets a URN and its own inputs as
 * outputs (the engine echoes checked inputs, a dynamic provider's included), and every feature
 * the SDK asks about is supported, as the CLI of the pinned version supports them. Registrations
 * are read and answered on the wire (./register-wire.ts): the inputs go back as the bytes that came.
 */
import { dirname } from "node:path";
import {
  readRegisterRequest,
  writeRegisterResponse,
  type RegisterRequest,
  type RegisterResponse,
} from "./register-wire";

// The SDK's generated services, with the grpc-js instance they were generated against.
const sdkDir = dirname(require.resolve("@pulumi/pulumi/package.json"));
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] }));
const resourceProto = require("@pulumi/pulumi/proto/resource_pb");
const resourceGrpc = require("@pulumi/pulumi/proto/resource_grpc_pb");
const engineProto = require("@pulumi/pulumi/proto/engine_pb");
const engineGrpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const emptyProto = require("google-protobuf/google/protobuf/empty_pb");

type Callback = (err: unknown, response?: unknown) => void;
interface Call {
  request: any;
}

export interface FakeEngine {
  /** host:port of both services. */
  address: string;
  /** Resources registered so far. */
  registrations(): number;
  /** Each registration's source position as the SDK sent it ("uri#line,column"), or "" for none. */
  sourcePositions: string[];
  /** What the program logged at warning or error severity. */
  errors: string[];
  /** Messages the program sent by severity: 0 debug, 1 info, 2 warning, 3 error. */
  messages: number[];
  close(): Promise<void>;
}

export async function startFakeEngine(): Promise<FakeEngine> {
  let registered = 0;
  let root = "";
  const sourcePositions: string[] = [];
  const errors: string[] = [];
  const messages = [0, 0, 0, 0];
  const empty = () => new emptyProto.Empty();
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  // RegisterResource read and answered on the wire (./register-wire.ts); the rest as generated.
  const monitor = resourceGrpc.ResourceMonitorService;
  const rawRegister = {
    ...monitor,
    registerResource: {
      ...monitor.registerResource,
      requestDeserialize: readRegisterRequest,
      responseSerialize: writeRegisterResponse,
    },
  };
  server.addService(rawRegister, {
    supportsFeature: (_call: Call, cb: Callback) =>
      cb(null, new resourceProto.SupportsFeatureResponse().setHassupport(true)),
    registerPackage: (_call: Call, cb: Callback) =>
      cb(null, new resourceProto.RegisterPackageResponse().setRef("bench")),
    registerResource: ({ request }: { request: RegisterRequest }, cb: (err: null, r: RegisterResponse) => void) => {
      registered++;
      sourcePositions.push(request.sourcePosition);
      const { parent, type, name } = request;
      const qualified = parent ? `${parent.split("::")[2]}$${type}` : type;
      cb(null, {
        urn: `urn:pulumi:bench::lyra-fleet::${qualified}::${name}`,
        id: request.custom ? `${name}-id` : "",
        object: request.object,
      });
    },
    registerResourceOutputs: (_call: Call, cb: Callback) => cb(null, empty()),
    signalAndWaitForShutdown: (_call: Call, cb: Callback) => cb(null, empty()),
    invoke: ({ request }: Call, cb: Callback) => cb(new Error(`the bench engine has no invoke ${request.getTok()}`)),
  });
  server.addService(engineGrpc.EngineService, {
    log: ({ request }: Call, cb: Callback) => {
      // Severities: 0 debug, 1 info, 2 warning, 3 error.
      messages[request.getSeverity()]++;
      if (request.getSeverity() >= 2) errors.push(request.getMessage());
      cb(null, empty());
    },
    getRootResource: (_call: Call, cb: Callback) => cb(null, new engineProto.GetRootResourceResponse().setUrn(root)),
    setRootResource: ({ request }: Call, cb: Callback) => {
      root = request.getUrn();
      cb(null, new engineProto.SetRootResourceResponse());
    },
  });
  const port: number = await new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err: Error | null, p: number) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    registrations: () => registered,
    sourcePositions,
    errors,
    messages,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
