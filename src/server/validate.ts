// Request validation shared by every handler: required fields, and Kubernetes' own limits for
// names, labels and annotations (apimachinery's validation), so that a bad request is refused
// with InvalidArgument before it reaches the domain.
import { invalidArgument } from '../util/errors.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ANNOTATIONS_TOTAL_MAX = 256 * 1024;

export function requireString(field: string, value: string | undefined): string {
  if (value === undefined || value === '') throw invalidArgument(`${field} is required`);
  return value;
}

export function requirePresent<T>(field: string, value: T | undefined): T {
  if (value === undefined || value === null) throw invalidArgument(`${field} is required`);
  return value;
}

export function checkDnsLabel(field: string, value: string): void {
  if (value.length > 63) throw invalidArgument(`${field} "${value}" is longer than 63 characters`);
  if (!DNS1123_LABEL.test(value)) {
    throw invalidArgument(`${field} "${value}" must consist of lower case alphanumeric characters or '-', and start and end with an alphanumeric character`);
  }
}

export function checkDnsSubdomain(field: string, value: string): void {
  if (value.length > 253) throw invalidArgument(`${field} "${value.slice(0, 40)}..." is longer than 253 characters`);
  if (!DNS1123_SUBDOMAIN.test(value)) {
    throw invalidArgument(`${field} "${value}" must consist of lower case alphanumeric characters, '-' or '.', and start and end with an alphanumeric character`);
  }
}

/** A label or annotation key: an optional DNS-subdomain prefix and '/', then a name of at most 63. */
export function checkQualifiedName(field: string, key: string): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    if (prefix === '') throw invalidArgument(`${field} key "${key}" has an empty prefix before '/'`);
    checkDnsSubdomain(`${field} key prefix`, prefix);
  }
  if (name === '') throw invalidArgument(`${field} key "${key}" has an empty name`);
  if (name.length > 63) throw invalidArgument(`${field} key "${key}": the name part is longer than 63 characters`);
  if (!QUALIFIED_NAME.test(name)) {
    throw invalidArgument(`${field} key "${key}": the name part must be alphanumeric, '-', '_' or '.', starting and ending with an alphanumeric character`);
  }
}

export function checkLabels(field: string, labels: Record<string, string>): void {
  for (const [k, v] of Object.entries(labels)) {
    checkQualifiedName(field, k);
    if (v.length > 63) throw invalidArgument(`${field} "${k}": value is longer than 63 characters`);
    if (!LABEL_VALUE.test(v)) {
      throw invalidArgument(`${field} "${k}": value "${v}" must be empty or alphanumeric, '-', '_' or '.', starting and ending with an alphanumeric character`);
    }
  }
}

export function checkAnnotations(field: string, annotations: Record<string, string>): void {
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    checkQualifiedName(field, k);
    total += k.length + v.length;
  }
  if (total > ANNOTATIONS_TOTAL_MAX) throw invalidArgument(`${field} are ${total} bytes in total, more than the limit of ${ANNOTATIONS_TOTAL_MAX}`);
}

/**
 * Object names (pod and container metadata.name). The CRI sets no naming rules, and critest uses
 * names such as "PodSandbox-for-create-test-<uuid>", so only what would break critter is refused:
 * empty, longer than a DNS subdomain, '/' (names are never paths) and control characters.
 */
export function checkObjectName(field: string, value: string): void {
  requireString(field, value);
  if (value.length > 253) throw invalidArgument(`${field} "${value.slice(0, 40)}..." is longer than 253 characters`);
  // eslint-disable-next-line no-control-regex
  if (/[/\x00-\x1f\x7f]/.test(value)) throw invalidArgument(`${field} "${value}" must not contain '/' or control characters`);
}

/** Pod metadata: a name, a namespace and a uid; the kubelet's are Kubernetes names. */
export function checkPodMetadata(md: { name: string; namespace: string; uid: string } | undefined): void {
  const m = requirePresent('config.metadata', md);
  checkObjectName('metadata.name', m.name);
  checkObjectName('metadata.namespace', m.namespace);
  checkObjectName('metadata.uid', m.uid);
}

/** Container metadata: a name. */
export function checkContainerMetadata(md: { name: string } | undefined): void {
  const m = requirePresent('config.metadata', md);
  checkObjectName('metadata.name', m.name);
}
