// Image references, parsed and normalised the way the kubelet and containerd do
// (docker/distribution's ParseNormalizedNamed + TagNameOnly), so that the names critter
// stores and reports match what every other CRI runtime would report for the same input.
import { invalidArgument } from '../util/errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const NAME_TOTAL_LENGTH_MAX = 255;

export interface ParsedReference {
  /** Registry host, with port if any: "docker.io", "127.0.0.1:5000". */
  domain: string;
  /** Repository path inside the registry: "library/busybox". */
  path: string;
  tag?: string;
  digest?: string;
  /** domain/path */
  name: string;
  /** The short form people type: "busybox:latest", "127.0.0.1:5000/a/b:tag". */
  familiar: string;
  /** name@digest when a digest is given (it decides what is fetched), else name:tag. */
  canonical: string;
}

// The grammar of distribution's reference package, expressed as regexp sources.
const alphaNumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphaNumeric}(?:${separator}${alphaNumeric})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `(?:${domainComponent}(?:\\.${domainComponent})*|${ipv6})`;
const domain = `${domainName}(?::[0-9]+)?`;
const tagSource = '[\\w][\\w.-]{0,127}';
const digestSource = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const nameSource = `(?:${domain}/)?${pathComponent}(?:/${pathComponent})*`;

const referenceRe = new RegExp(`^(${nameSource})(?::(${tagSource}))?(?:@(${digestSource}))?$`);
const domainRe = new RegExp(`^${domain}$`);
const pathRe = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const tagRe = new RegExp(`^${tagSource}$`);
const identifierRe = /^[a-f0-9]{64}$/;
const idLikeRe = /^(?:sha256:)?[a-f0-9]{1,64}$/;

// Digest algorithms and their hex lengths (opencontainers/go-digest's registered set).
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** Checks "algo:hex" the way go-digest does; returns an error message or undefined. */
export function digestProblem(d: string): string | undefined {
  const i = d.indexOf(':');
  if (i <= 0) return `invalid digest "${d}": expected "algorithm:hex"`;
  const algo = d.slice(0, i);
  const hex = d.slice(i + 1);
  const len = DIGEST_HEX_LENGTH[algo];
  if (len === undefined) return `invalid digest "${d}": unsupported algorithm "${algo}"`;
  if (hex.length !== len || !/^[a-f0-9]+$/.test(hex)) {
    return `invalid digest "${d}": ${algo} needs ${len} lowercase hex characters`;
  }
  return undefined;
}

export function isValidDigest(d: string): boolean {
  return digestProblem(d) === undefined;
}

/** True for a bare image id or id prefix ("3f57d9401f8d", "sha256:3f57..."), which ImageStatus accepts. */
export function isImageIdLike(s: string): boolean {
  return idLikeRe.test(s);
}

// distribution's splitDockerDomain: the first component is a registry host only when it looks
// like one (has "." or ":", or is "localhost", or has uppercase letters); otherwise Docker Hub.
function splitDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  let dom: string;
  let remainder: string;
  const first = i === -1 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    dom = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    dom = first;
    remainder = name.slice(i + 1);
  }
  if (dom === LEGACY_DEFAULT_DOMAIN) dom = DEFAULT_DOMAIN;
  if (dom === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain: dom, remainder };
}

function familiarName(dom: string, path: string): string {
  if (dom !== DEFAULT_DOMAIN) return `${dom}/${path}`;
  if (path.startsWith(OFFICIAL_REPO_PREFIX) && !path.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) {
    return path.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return path;
}

/** Builds the full ParsedReference from already validated parts. */
export function makeReference(dom: string, path: string, tag?: string, digest?: string): ParsedReference {
  const name = `${dom}/${path}`;
  const suffix = (tag !== undefined ? `:${tag}` : '') + (digest !== undefined ? `@${digest}` : '');
  const ref: ParsedReference = {
    domain: dom,
    path,
    name,
    familiar: familiarName(dom, path) + suffix,
    canonical: digest !== undefined ? `${name}@${digest}` : `${name}:${tag ?? DEFAULT_TAG}`,
  };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/**
 * Parses an image reference as the kubelet does: Docker Hub names are expanded
 * ("busybox" -> "docker.io/library/busybox"), and a reference with neither tag nor digest
 * gets ":latest". Throws InvalidArgument with the reason on anything malformed.
 */
export function parseReference(input: string): ParsedReference {
  const s = input;
  if (s.trim() === '') throw invalidArgument('invalid image reference: it is empty');
  if (s !== s.trim()) throw invalidArgument(`invalid image reference "${s}": it has surrounding whitespace`);
  if (identifierRe.test(s)) {
    throw invalidArgument(`invalid image reference "${s}": a 64-character hex string is an image id, not a repository name`);
  }

  // Split off digest and tag first so errors can say which part is wrong.
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const problem = digestProblem(digest);
    if (problem !== undefined) throw invalidArgument(`invalid image reference "${s}": ${problem}`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (tag.length > 128) throw invalidArgument(`invalid image reference "${s}": tag is longer than 128 characters`);
    if (!tagRe.test(tag)) {
      throw invalidArgument(
        `invalid image reference "${s}": tag "${tag}" must start with a letter, digit or "_" and contain only letters, digits, "_", "." and "-"`,
      );
    }
  }
  if (rest === '') throw invalidArgument(`invalid image reference "${s}": the repository name is empty`);

  const { domain: dom, remainder } = splitDomain(rest);
  if (remainder.toLowerCase() !== remainder) {
    throw invalidArgument(`invalid image reference "${s}": repository name must be lowercase`);
  }
  if (!domainRe.test(dom)) throw invalidArgument(`invalid image reference "${s}": "${dom}" is not a valid registry host`);
  if (!pathRe.test(remainder)) {
    throw invalidArgument(
      `invalid image reference "${s}": repository path "${remainder}" may contain only lowercase letters, digits and separators (".", "_", "__", "-") between them, split by "/"`,
    );
  }
  const full = `${dom}/${remainder}`;
  if (full.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalidArgument(`invalid image reference "${s}": repository name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  // Belt and braces: the whole normalised string must match the reference grammar.
  const normalized = full + (tag !== undefined ? `:${tag}` : '') + (digest !== undefined ? `@${digest}` : '');
  if (!referenceRe.test(normalized)) throw invalidArgument(`invalid image reference "${s}": invalid reference format`);

  return makeReference(dom, remainder, digest === undefined && tag === undefined ? DEFAULT_TAG : tag, digest);
}
