// The generated CRI descriptors against the hand-written upstream table (names, numbers, types,
// cardinality, RPCs), plus a binary round trip of every message with every field set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  create,
  equals,
  fromBinary,
  isFieldSet,
  ScalarType,
  toBinary,
  type DescEnum,
  type DescField,
  type DescMessage,
  type MessageInitShape,
} from '@bufbuild/protobuf';
import { file_runtime_v1_api } from '../../src/gen/runtime/v1/api_pb.js';
import { UPSTREAM_ENUMS, UPSTREAM_MESSAGES, UPSTREAM_SERVICES } from './proto-fields.table.js';

const PACKAGE = 'runtime.v1.';
const rel = (typeName: string): string => (typeName.startsWith(PACKAGE) ? typeName.slice(PACKAGE.length) : typeName);

function allMessages(): DescMessage[] {
  const out: DescMessage[] = [];
  const walk = (m: DescMessage): void => {
    out.push(m);
    m.nestedMessages.forEach(walk);
  };
  file_runtime_v1_api.messages.forEach(walk);
  return out;
}

function allEnums(): DescEnum[] {
  return [...file_runtime_v1_api.enums, ...allMessages().flatMap((m) => m.nestedEnums)];
}

const scalarName = (t: ScalarType): string => ScalarType[t].toLowerCase();

function fieldType(f: DescField): string {
  switch (f.fieldKind) {
    case 'scalar':
      return scalarName(f.scalar);
    case 'enum':
      return rel(f.enum.typeName);
    case 'message':
      return rel(f.message.typeName);
    case 'list': {
      const item =
        f.listKind === 'scalar' ? scalarName(f.scalar) : rel((f.listKind === 'enum' ? f.enum : f.message).typeName);
      return `repeated ${item}`;
    }
    case 'map': {
      const value =
        f.mapKind === 'scalar' ? scalarName(f.scalar) : rel((f.mapKind === 'enum' ? f.enum : f.message).typeName);
      return `map<${scalarName(f.mapKey)},${value}>`;
    }
  }
}

void test('every message and field matches cri-api v0.32: name, number, type, cardinality', () => {
  const actual: Record<string, Record<string, readonly [number, string]>> = {};
  for (const m of allMessages()) {
    actual[rel(m.typeName)] = Object.fromEntries(m.fields.map((f) => [f.name, [f.number, fieldType(f)] as const]));
  }
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(UPSTREAM_MESSAGES).sort(), 'message set');
  assert.deepEqual(actual, UPSTREAM_MESSAGES);
});

void test('every enum and enum value matches cri-api v0.32', () => {
  const actual = Object.fromEntries(
    allEnums().map((e) => [rel(e.typeName), Object.fromEntries(e.values.map((v) => [v.name, v.number]))]),
  );
  assert.deepEqual(actual, UPSTREAM_ENUMS);
});

void test('services list the upstream RPCs with their types and streaming', () => {
  const actual = Object.fromEntries(
    file_runtime_v1_api.services.map((s) => [
      s.name,
      s.methods.map((m) => [m.name, rel(m.input.typeName), rel(m.output.typeName), m.methodKind]),
    ]),
  );
  assert.equal(file_runtime_v1_api.proto.package, 'runtime.v1');
  assert.deepEqual(actual, UPSTREAM_SERVICES);
});

void test('counts: 153 messages, 10 enums, 29 + 5 RPCs', () => {
  assert.equal(allMessages().length, 153);
  assert.equal(allEnums().length, 10);
  assert.deepEqual(
    file_runtime_v1_api.services.map((s) => [s.name, s.methods.length]),
    [
      ['RuntimeService', 29],
      ['ImageService', 5],
    ],
  );
});

// ---------------------------------------------------------------------------
// Round trip
// ---------------------------------------------------------------------------

const MAX_DEPTH = 4;

function scalarValue(t: ScalarType, name: string): unknown {
  switch (t) {
    case ScalarType.STRING:
      return `v-${name}`;
    case ScalarType.BYTES:
      return new Uint8Array([0, 1, 254, 255]);
    case ScalarType.BOOL:
      return true;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return 1.5;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return -7;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return 4_000_000_000;
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return -(2n ** 40n);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return 2n ** 63n + 5n;
  }
}

/** The last declared value: never the zero default, as every CRI enum has at least two. */
const enumValue = (e: DescEnum): number => e.values[e.values.length - 1].number;

/** An init object with every field non-default; message fields stop at MAX_DEPTH. */
function populated(desc: DescMessage, depth: number): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  const one = (kind: 'scalar' | 'enum' | 'message', f: DescField): unknown => {
    if (kind === 'scalar' && f.scalar !== undefined) return scalarValue(f.scalar, f.name);
    if (kind === 'enum' && f.enum) return enumValue(f.enum);
    if (kind === 'message' && f.message) return populated(f.message, depth + 1);
    throw new Error(`${desc.typeName}.${f.name}: unexpected ${kind}`);
  };
  for (const f of desc.fields) {
    if (f.fieldKind === 'message' && depth >= MAX_DEPTH) continue;
    switch (f.fieldKind) {
      case 'scalar':
      case 'enum':
      case 'message':
        init[f.localName] = one(f.fieldKind, f);
        break;
      case 'list':
        if (f.listKind === 'message' && depth >= MAX_DEPTH) break;
        init[f.localName] = [one(f.listKind, f)];
        break;
      case 'map':
        if (f.mapKind === 'message' && depth >= MAX_DEPTH) break;
        init[f.localName] = { [String(scalarValue(f.mapKey, 'key'))]: one(f.mapKind, f) };
        break;
    }
  }
  return init;
}

void test('every message survives toBinary/fromBinary with every field set', () => {
  for (const desc of allMessages()) {
    // The init is built by reflection, so its type is only known at run time.
    const msg = create(desc, populated(desc, 0) as MessageInitShape<DescMessage>);
    for (const f of desc.fields) assert.ok(isFieldSet(msg, f), `${desc.typeName}.${f.name} was not populated`);
    const bytes = toBinary(desc, msg);
    assert.equal(bytes.length > 0, desc.fields.length > 0, `${desc.typeName}: encoded size`);
    const back = fromBinary(desc, bytes);
    assert.ok(equals(desc, msg, back), `${desc.typeName}: decoded message differs`);
    for (const f of desc.fields) assert.ok(isFieldSet(back, f), `${desc.typeName}.${f.name} lost on the wire`);
    assert.deepEqual(toBinary(desc, back), bytes, `${desc.typeName}: re-encoding is not stable`);
  }
});
