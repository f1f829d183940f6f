import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkAnnotations,
  checkContainerMetadata,
  checkLabels,
  checkPodMetadata,
  checkQualifiedName,
} from '../../../src/server/validate.js';

const invalid = (fn: () => void, re: RegExp): void => {
  assert.throws(fn, (e: unknown) => e instanceof Error && 'kind' in e && e.kind === 'InvalidArgument' && re.test(e.message));
};

test('pod metadata follows Kubernetes name rules', () => {
  checkPodMetadata({ name: 'web-0.a', namespace: 'default', uid: 'u1' });
  invalid(() => checkPodMetadata(undefined), /config.metadata is required/);
  invalid(() => checkPodMetadata({ name: '', namespace: 'default', uid: 'u' }), /metadata.name is required/);
  invalid(() => checkPodMetadata({ name: 'Web', namespace: 'default', uid: 'u' }), /metadata.name "Web" must consist of lower case/);
  invalid(() => checkPodMetadata({ name: 'a'.repeat(254), namespace: 'default', uid: 'u' }), /longer than 253/);
  invalid(() => checkPodMetadata({ name: 'web', namespace: 'kube_system', uid: 'u' }), /metadata.namespace/);
  invalid(() => checkPodMetadata({ name: 'web', namespace: 'a'.repeat(64), uid: 'u' }), /longer than 63/);
  invalid(() => checkPodMetadata({ name: 'web', namespace: 'default', uid: '' }), /metadata.uid is required/);
});

test('container names are DNS labels', () => {
  checkContainerMetadata({ name: 'app' });
  invalid(() => checkContainerMetadata({ name: 'app.v1' }), /metadata.name "app.v1"/);
  invalid(() => checkContainerMetadata({ name: '-app' }), /metadata.name/);
});

test('label keys and values', () => {
  checkLabels('labels', { app: 'web', 'app.kubernetes.io/name': 'x_y.z-1', empty: '' });
  invalid(() => checkLabels('labels', { '/x': 'a' }), /empty prefix/);
  invalid(() => checkLabels('labels', { 'Bad_Prefix/x': 'a' }), /key prefix/);
  invalid(() => checkLabels('labels', { ['a'.repeat(64)]: 'a' }), /longer than 63/);
  invalid(() => checkLabels('labels', { app: 'a'.repeat(64) }), /value is longer than 63/);
  invalid(() => checkLabels('labels', { app: '-bad' }), /value "-bad"/);
  invalid(() => checkQualifiedName('labels', 'x/'), /empty name/);
});

test('annotations: qualified keys, any value, 256 KiB in total', () => {
  checkAnnotations('annotations', { 'io.kubernetes.pod/spec': '{"any": "value with spaces"}' });
  invalid(() => checkAnnotations('annotations', { big: 'x'.repeat(256 * 1024) }), /more than the limit/);
  invalid(() => checkAnnotations('annotations', { 'no spaces': 'x' }), /name part must be/);
});
