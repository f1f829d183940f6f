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

test('pod metadata: required, bounded, no slashes or control characters; critest-style names pass', () => {
  checkPodMetadata({ name: 'web-0.a', namespace: 'default', uid: 'u1' });
  checkPodMetadata({ name: 'PodSandbox-for-create-test-0f9c2d6e-3b1a-4a57-9d7e-2f1c8b9a0e11', namespace: 'cri-test', uid: 'U_1' });
  invalid(() => checkPodMetadata(undefined), /config.metadata is required/);
  invalid(() => checkPodMetadata({ name: '', namespace: 'default', uid: 'u' }), /metadata.name is required/);
  invalid(() => checkPodMetadata({ name: 'a'.repeat(254), namespace: 'default', uid: 'u' }), /longer than 253/);
  invalid(() => checkPodMetadata({ name: 'web', namespace: '', uid: 'u' }), /metadata.namespace is required/);
  invalid(() => checkPodMetadata({ name: 'web', namespace: 'a/b', uid: 'u' }), /metadata.namespace "a\/b" must not contain/);
  invalid(() => checkPodMetadata({ name: 'web\n', namespace: 'default', uid: 'u' }), /control characters/);
  invalid(() => checkPodMetadata({ name: 'web', namespace: 'default', uid: '' }), /metadata.uid is required/);
});

test('container names: critest-style names pass, slashes do not', () => {
  checkContainerMetadata({ name: 'app' });
  checkContainerMetadata({ name: 'container-for-execSync-test-0f9c2d6e-3b1a-4a57-9d7e-2f1c8b9a0e11' });
  invalid(() => checkContainerMetadata({ name: '' }), /metadata.name is required/);
  invalid(() => checkContainerMetadata({ name: '../app' }), /must not contain/);
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
