'use strict';
// grpc.testing.TestService served by @grpc/grpc-js, written from the gRPC interop test descriptions.
// Usage: node interop_server.js --port=N [--use_tls=true]. Prints "listening on N"; stops on SIGTERM/SIGINT.
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const { load, certs, parseFlags } = require('./interop_protos');

const testing = load();

function payload(size) {
  return { type: 'COMPRESSABLE', body: Buffer.alloc(size) };
}

function echoMetadata(call) {
  const initial = call.metadata.get('x-grpc-test-echo-initial');
  if (initial.length > 0) {
    const md = new grpc.Metadata();
    md.add('x-grpc-test-echo-initial', initial[0]);
    call.sendMetadata(md);
  }
  const trailers = new grpc.Metadata();
  const trailing = call.metadata.get('x-grpc-test-echo-trailing-bin');
  if (trailing.length > 0) {
    trailers.add('x-grpc-test-echo-trailing-bin', trailing[0]);
  }
  return trailers;
}

function requestedStatus(status, trailers) {
  return status && status.code !== 0 ? { code: status.code, details: status.message, metadata: trailers } : null;
}

// grpc-js hides a request's compression (grpc-encoding is removed from the metadata and the per-message flag is not
// exposed), so "reject a message whose compression differs from expect_compressed" cannot be checked: accepted.

function unaryCall(call, callback) {
  const trailers = echoMetadata(call);
  const error = requestedStatus(call.request.response_status, trailers);
  if (error) {
    callback(error);
    return;
  }
  callback(null, { payload: payload(call.request.response_size) }, trailers);
}

async function writeResponses(call, request) {
  for (const parameters of request.response_parameters) {
    if (parameters.interval_us > 0) {
      await new Promise((resolve) => setTimeout(resolve, parameters.interval_us / 1000));
    }
    if (call.cancelled) {
      return;
    }
    call.write({ payload: payload(parameters.size) });
  }
}

const service = {
  EmptyCall: (call, callback) => callback(null, {}),
  UnaryCall: unaryCall,
  CacheableUnaryCall: unaryCall,
  StreamingOutputCall: async (call) => {
    const trailers = echoMetadata(call);
    await writeResponses(call, call.request);
    const error = requestedStatus(call.request.response_status, trailers);
    if (error) {
      call.emit('error', error);
    } else {
      call.end(trailers);
    }
  },
  StreamingInputCall: (call, callback) => {
    let total = 0;
    call.on('data', (request) => { total += request.payload ? request.payload.body.length : 0; });
    call.on('end', () => callback(null, { aggregated_payload_size: total }));
    call.on('error', () => {});
  },
  FullDuplexCall: (call) => {
    const trailers = echoMetadata(call);
    let chain = Promise.resolve();
    let failed = false;
    call.on('data', (request) => {
      chain = chain.then(async () => {
        if (failed) {
          return;
        }
        const error = requestedStatus(request.response_status, trailers);
        if (error) {
          failed = true;
          call.emit('error', error);
          return;
        }
        await writeResponses(call, request);
      });
    });
    call.on('end', () => chain.then(() => { if (!failed) call.end(trailers); }));
    call.on('error', () => {});
  },
  HalfDuplexCall: (call) => {
    const requests = [];
    call.on('data', (request) => requests.push(request));
    call.on('end', async () => {
      for (const request of requests) {
        await writeResponses(call, request);
      }
      call.end();
    });
  },
};

function main() {
  const flags = parseFlags(process.argv.slice(2));
  if (!flags.port) {
    console.error('usage: node interop_server.js --port=N [--use_tls=true]');
    process.exit(2);
  }
  const server = new grpc.Server();
  server.addService(testing.TestService.service, service);
  const credentials = flags.use_tls === 'true'
    ? grpc.ServerCredentials.createSsl(null, [{
      private_key: fs.readFileSync(path.join(certs, 'server.key')),
      cert_chain: fs.readFileSync(path.join(certs, 'server.pem')),
    }])
    : grpc.ServerCredentials.createInsecure();
  server.bindAsync(`0.0.0.0:${flags.port}`, credentials, (error, port) => {
    if (error) {
      console.error(error.message);
      process.exit(1);
    }
    console.log(`listening on ${port}`);
  });
  const stop = () => server.tryShutdown(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
