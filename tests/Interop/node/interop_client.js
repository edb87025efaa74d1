'use strict';
// Interop test client on @grpc/grpc-js, written from the gRPC interop test descriptions.
// Usage: node interop_client.js --server_host=H --server_port=N --test_case=NAME[,NAME...] [--use_tls=true]
//        [--server_host_override=NAME]
// Prints "PASS name" or "FAIL name: reason" per case; exits 1 if any failed.
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const { load, certs, parseFlags } = require('./interop_protos');

const testing = load();
const { status: Code } = grpc;
const SPECIAL_MESSAGE = '\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \u{1f608}\t\n';
const NO_COMPRESS = 2; // grpc-js WriteFlags.NoCompress

class Failure extends Error {}

function check(condition, message) {
  if (!condition) {
    throw new Failure(message);
  }
}

const payload = (size) => ({ body: Buffer.alloc(size) });

function checkPayload(p, size) {
  check(p && p.body.length === size, `payload of ${p ? p.body.length : 'no'} bytes, expected ${size}`);
  check(p.body.every((b) => b === 0), 'payload is not all zeros');
}

const unary = (client, method, request, metadata = new grpc.Metadata(), options = {}) =>
  new Promise((resolve, reject) => {
    const call = client[method](request, metadata, options, (error, response) => (error ? reject(error) : resolve(response)));
    call.on('error', () => {});
  });

async function expectCode(code, promise) {
  try {
    await promise;
  } catch (error) {
    check(error.code === code, `expected status ${code}, got ${error.code}: ${error.details}`);
    return error;
  }
  throw new Failure(`expected status ${code}, but the call succeeded`);
}

// Reads a stream's messages one at a time; next() resolves a message, or null at the end; rejects on error.
function reader(call) {
  const messages = [];
  const waiters = [];
  let ended = false;
  let failure = null;
  const settle = () => {
    while (waiters.length > 0 && (messages.length > 0 || ended || failure)) {
      const { resolve, reject } = waiters.shift();
      if (messages.length > 0) resolve(messages.shift());
      else if (failure) reject(failure);
      else resolve(null);
    }
  };
  call.on('data', (m) => { messages.push(m); settle(); });
  call.on('end', () => { ended = true; settle(); });
  call.on('error', (e) => { failure = e; settle(); });
  return { next: () => new Promise((resolve, reject) => { waiters.push({ resolve, reject }); settle(); }) };
}

const statusOf = (call) => new Promise((resolve) => call.on('status', resolve));

function duplexRequest(responseSize, requestSize) {
  return { response_parameters: [{ size: responseSize }], payload: payload(requestSize) };
}

const largeRequest = (extra = {}) => ({ response_size: 314159, payload: payload(271828), ...extra });

function makeCases(address, credentials, options) {
  const client = new testing.TestService(address, credentials, options);
  const gzipClient = new testing.TestService(address, credentials, { ...options, 'grpc.default_compression_algorithm': 2 });
  const unimplemented = new testing.UnimplementedService(address, credentials, options);

  async function checkStream(request, sizes) {
    const call = client.StreamingOutputCall(request);
    const responses = reader(call);
    for (const size of sizes) {
      const response = await responses.next();
      check(response !== null, 'the stream ended early');
      checkPayload(response.payload, size);
    }
    check(await responses.next() === null, 'more responses than requested');
  }

  async function echoStatus(message, streaming) {
    const status = { code: 2, message };
    const error = await expectCode(Code.UNKNOWN, unary(client, 'UnaryCall', { response_status: status }));
    check(error.details === message, `unary details ${JSON.stringify(error.details)}, expected ${JSON.stringify(message)}`);
    if (streaming) {
      const call = client.FullDuplexCall();
      const responses = reader(call);
      call.write({ response_status: status });
      call.end();
      const streamError = await expectCode(Code.UNKNOWN, responses.next());
      check(streamError.details === message, `streaming details ${JSON.stringify(streamError.details)}`);
    }
  }

  const cases = {
    empty_unary: async () => {
      check(await unary(client, 'EmptyCall', {}) !== undefined, 'no response');
    },
    large_unary: async () => checkPayload((await unary(client, 'UnaryCall', largeRequest())).payload, 314159),
    client_compressed_unary: async () => {
      const expect = { value: true };
      await expectCode(Code.INVALID_ARGUMENT, unary(client, 'UnaryCall', largeRequest({ expect_compressed: expect })));
      checkPayload((await unary(gzipClient, 'UnaryCall', largeRequest({ expect_compressed: expect }))).payload, 314159);
      checkPayload((await unary(client, 'UnaryCall', largeRequest({ expect_compressed: { value: false } }))).payload, 314159);
    },
    server_compressed_unary: async () => {
      for (const value of [true, false]) {
        checkPayload((await unary(client, 'UnaryCall', largeRequest({ response_compressed: { value } }))).payload, 314159);
      }
    },
    client_streaming: async () => {
      const response = await new Promise((resolve, reject) => {
        const call = client.StreamingInputCall((e, r) => (e ? reject(e) : resolve(r)));
        for (const size of [27182, 8, 1828, 45904]) call.write({ payload: payload(size) });
        call.end();
      });
      check(response.aggregated_payload_size === 74922, `aggregated ${response.aggregated_payload_size}`);
    },
    client_compressed_streaming: async () => {
      await expectCode(Code.INVALID_ARGUMENT, new Promise((resolve, reject) => {
        const call = client.StreamingInputCall((e, r) => (e ? reject(e) : resolve(r)));
        call.write({ expect_compressed: { value: true }, payload: payload(27182) });
        call.end();
      }));
      const response = await new Promise((resolve, reject) => {
        const call = gzipClient.StreamingInputCall((e, r) => (e ? reject(e) : resolve(r)));
        call.write({ expect_compressed: { value: true }, payload: payload(27182) });
        call.write({ expect_compressed: { value: false }, payload: payload(45904) }, NO_COMPRESS);
        call.end();
      });
      check(response.aggregated_payload_size === 73086, `aggregated ${response.aggregated_payload_size}`);
    },
    server_streaming: () => checkStream({ response_parameters: [31415, 9, 2653, 58979].map((size) => ({ size })) }, [31415, 9, 2653, 58979]),
    server_compressed_streaming: () => checkStream({
      response_parameters: [{ compressed: { value: true }, size: 31415 }, { compressed: { value: false }, size: 92653 }],
    }, [31415, 92653]),
    ping_pong: async () => {
      const call = client.FullDuplexCall();
      const responses = reader(call);
      for (const [responseSize, requestSize] of [[31415, 27182], [9, 8], [2653, 1828], [58979, 45904]]) {
        call.write(duplexRequest(responseSize, requestSize));
        const response = await responses.next();
        check(response !== null, 'the stream ended early');
        checkPayload(response.payload, responseSize);
      }
      call.end();
      check(await responses.next() === null, 'more responses than requests');
    },
    empty_stream: async () => {
      const call = client.FullDuplexCall();
      const responses = reader(call);
      call.end();
      check(await responses.next() === null, 'an empty request stream got responses');
    },
    cancel_after_begin: async () => {
      const result = new Promise((resolve, reject) => {
        const call = client.StreamingInputCall((e, r) => (e ? reject(e) : resolve(r)));
        call.cancel();
      });
      await expectCode(Code.CANCELLED, result);
    },
    cancel_after_first_response: async () => {
      const call = client.FullDuplexCall();
      const responses = reader(call);
      call.write(duplexRequest(31415, 27182));
      checkPayload((await responses.next()).payload, 31415);
      call.cancel();
      await expectCode(Code.CANCELLED, responses.next());
    },
    timeout_on_sleeping_server: async () => {
      const call = client.FullDuplexCall({ deadline: Date.now() + 1 });
      const responses = reader(call);
      call.write({ payload: payload(27182) });
      await expectCode(Code.DEADLINE_EXCEEDED, responses.next());
    },
    custom_metadata: async () => {
      const trailing = Buffer.from([0xab, 0xab, 0xab]);
      const metadata = () => {
        const md = new grpc.Metadata();
        md.add('x-grpc-test-echo-initial', 'test_initial_metadata_value');
        md.add('x-grpc-test-echo-trailing-bin', trailing);
        return md;
      };
      const checkEcho = (initial, status) => {
        check(initial.get('x-grpc-test-echo-initial')[0] === 'test_initial_metadata_value', 'initial metadata not echoed');
        const echoed = status.metadata.get('x-grpc-test-echo-trailing-bin')[0];
        check(Buffer.isBuffer(echoed) && echoed.equals(trailing), 'trailing metadata not echoed');
      };
      let initial = null;
      let status = null;
      const response = await new Promise((resolve, reject) => {
        const call = client.UnaryCall(largeRequest(), metadata(), (e, r) => (e ? reject(e) : resolve(r)));
        call.on('metadata', (md) => { initial = md; });
        statusOf(call).then((s) => { status = s; });
      });
      checkPayload(response.payload, 314159);
      await new Promise((resolve) => setImmediate(resolve));
      checkEcho(initial, status);
      const call = client.FullDuplexCall(metadata());
      const initialPromise = new Promise((resolve) => call.on('metadata', resolve));
      const statusPromise = statusOf(call);
      const responses = reader(call);
      call.write(duplexRequest(314159, 271828));
      call.end();
      checkPayload((await responses.next()).payload, 314159);
      check(await responses.next() === null, 'more than one response');
      checkEcho(await initialPromise, await statusPromise);
    },
    status_code_and_message: () => echoStatus('test status message', true),
    special_status_message: () => echoStatus(SPECIAL_MESSAGE, false),
    unimplemented_method: () => expectCode(Code.UNIMPLEMENTED, unary(client, 'UnimplementedCall', {})),
    unimplemented_service: () => expectCode(Code.UNIMPLEMENTED, unary(unimplemented, 'UnimplementedCall', {})),
  };
  const close = () => { client.close(); gzipClient.close(); unimplemented.close(); };
  return { cases, close };
}

async function main() {
  const flags = parseFlags(process.argv.slice(2));
  if (!flags.server_port) {
    console.error('usage: node interop_client.js --server_host=H --server_port=N --test_case=NAME [--use_tls=true]');
    process.exit(2);
  }
  const address = `${flags.server_host || 'localhost'}:${flags.server_port}`;
  const tls = flags.use_tls === 'true';
  const credentials = tls
    ? grpc.credentials.createSsl(fs.readFileSync(path.join(certs, 'ca.pem')))
    : grpc.credentials.createInsecure();
  const options = tls ? { 'grpc.ssl_target_name_override': flags.server_host_override || 'localhost' } : {};
  const { cases, close } = makeCases(address, credentials, options);
  let failed = 0;
  for (const name of (flags.test_case || 'large_unary').split(',').filter(Boolean)) {
    try {
      if (!cases[name]) throw new Failure(`unknown test case '${name}'`);
      await cases[name]();
      console.log(`PASS ${name}`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${name}: ${error.message}`);
    }
  }
  close();
  process.exit(failed ? 1 : 0);
}

main();
