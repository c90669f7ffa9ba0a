import { unsupportedMediaType } from './errors.js';
import type { JsonObject } from './object.js';

/**
 * Decodes the Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown) for the few kinds kubectl's typed client
 * sends as protobuf (`kubectl create namespace|serviceaccount|configmap|secret`). Schemas follow the field numbers
 * of k8s.io/api generated.proto; unknown fields are skipped and zero values omitted, as JSON's omitempty would.
 */
type Scalar = 'string' | 'bytes' | 'int' | 'bool';

interface Field {
  readonly name: string;
  readonly type: Scalar | 'message' | 'map' | 'bytesMap';
  readonly repeated?: boolean;
  readonly message?: Schema;
}

type Schema = Readonly<Record<number, Field>>;

const s = (name: string, repeated = false): Field => ({ name, type: 'string', repeated });
const m = (name: string, message: Schema, repeated = false): Field => ({ name, type: 'message', message, repeated });

const OWNER_REFERENCE: Schema = {
  1: s('kind'),
  3: s('name'),
  4: s('uid'),
  5: s('apiVersion'),
  6: { name: 'controller', type: 'bool' },
  7: { name: 'blockOwnerDeletion', type: 'bool' },
};
const OBJECT_META: Schema = {
  1: s('name'),
  2: s('generateName'),
  3: s('namespace'),
  5: s('uid'),
  6: s('resourceVersion'),
  7: { name: 'generation', type: 'int' },
  11: { name: 'labels', type: 'map' },
  12: { name: 'annotations', type: 'map' },
  13: m('ownerReferences', OWNER_REFERENCE, true),
  14: s('finalizers', true),
};
const OBJECT_REFERENCE: Schema = { 1: s('kind'), 2: s('namespace'), 3: s('name'), 4: s('uid'), 5: s('apiVersion'), 7: s('fieldPath') };

const KINDS: Readonly<Record<string, Schema>> = {
  'v1/Namespace': { 1: m('metadata', OBJECT_META), 2: m('spec', { 1: s('finalizers', true) }), 3: m('status', { 1: s('phase') }) },
  'v1/ServiceAccount': {
    1: m('metadata', OBJECT_META),
    2: m('secrets', OBJECT_REFERENCE, true),
    3: m('imagePullSecrets', { 1: s('name') }, true),
    4: { name: 'automountServiceAccountToken', type: 'bool' },
  },
  'v1/ConfigMap': {
    1: m('metadata', OBJECT_META),
    2: { name: 'data', type: 'map' },
    3: { name: 'binaryData', type: 'bytesMap' },
    4: { name: 'immutable', type: 'bool' },
  },
  'v1/Secret': {
    1: m('metadata', OBJECT_META),
    2: { name: 'data', type: 'bytesMap' },
    3: s('type'),
    4: { name: 'stringData', type: 'map' },
    5: { name: 'immutable', type: 'bool' },
  },
};

const UNKNOWN: Schema = { 1: m('typeMeta', { 1: s('apiVersion'), 2: s('kind') }), 2: { name: 'raw', type: 'bytes' } };

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(): number {
    let result = 0;
    let factor = 1;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * factor;
      if (byte < 0x80) return result;
      factor *= 128;
    }
  }

  bytes(): Buffer {
    const len = this.varint();
    if (this.pos + len > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function decodeEntry(buf: Buffer): [string, Buffer] {
  const r = new Reader(buf);
  let key = '';
  let value: Buffer = Buffer.alloc(0);
  while (r.pos < buf.length) {
    const tag = r.varint();
    if (tag >>> 3 === 1 && (tag & 7) === 2) key = r.bytes().toString('utf8');
    else if (tag >>> 3 === 2 && (tag & 7) === 2) value = r.bytes();
    else r.skip(tag & 7);
  }
  return [key, value];
}

function decodeMessage(buf: Buffer, schema: Schema): JsonObject {
  const out: JsonObject = {};
  const r = new Reader(buf);
  while (r.pos < buf.length) {
    const tag = r.varint();
    const field = schema[Math.floor(tag / 8)];
    const wire = tag & 7;
    if (!field) {
      r.skip(wire);
      continue;
    }
    let value: unknown;
    if (field.type === 'int' || field.type === 'bool') {
      const n = r.varint();
      value = field.type === 'bool' ? n !== 0 : n;
      if (n === 0) continue;
    } else if (field.type === 'map' || field.type === 'bytesMap') {
      const [k, v] = decodeEntry(r.bytes());
      const map = (out[field.name] ??= {}) as Record<string, string>;
      map[k] = field.type === 'map' ? v.toString('utf8') : v.toString('base64');
      continue;
    } else {
      const bytes = r.bytes();
      if (field.type === 'message') value = decodeMessage(bytes, field.message!);
      else if (field.type === 'bytes') value = Buffer.from(bytes);
      else value = bytes.toString('utf8');
      if (value === '' && !field.repeated) continue;
    }
    if (field.repeated) ((out[field.name] ??= []) as unknown[]).push(value);
    else out[field.name] = value;
  }
  return out;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export function decodeProtobuf(body: Buffer): JsonObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw unsupportedMediaType('application/vnd.kubernetes.protobuf');
  const envelope = decodeMessage(body.subarray(4), UNKNOWN);
  const typeMeta = (envelope['typeMeta'] ?? {}) as { apiVersion?: string; kind?: string };
  const schema = KINDS[`${typeMeta.apiVersion}/${typeMeta.kind}`];
  if (!schema) throw unsupportedMediaType(`application/vnd.kubernetes.protobuf (${typeMeta.apiVersion}/${typeMeta.kind})`);
  const raw = (envelope['raw'] as Buffer | undefined) ?? Buffer.alloc(0);
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...decodeMessage(raw, schema) };
}
