'use strict';
// Loads grpc.testing.TestService from the repository's protos/ with @grpc/proto-loader.
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const protoRoot = path.resolve(__dirname, '..', '..', '..', 'protos');

function load() {
  const definition = protoLoader.loadSync('grpc/testing/test.proto', {
    includeDirs: [protoRoot],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition).grpc.testing;
}

const certs = path.resolve(__dirname, '..', 'certs');

function parseFlags(argv) {
  const flags = {};
  for (const arg of argv) {
    const match = /^--([^=]+)(?:=(.*))?$/.exec(arg);
    if (!match) {
      throw new Error(`Unexpected argument '${arg}'; flags look like --name=value.`);
    }
    flags[match[1]] = match[2] === undefined ? 'true' : match[2];
  }
  return flags;
}

module.exports = { load, certs, parseFlags };
