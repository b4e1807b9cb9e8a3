import { describe, expect, it } from 'vitest';
import { loadCedar } from '../../../test/support/cedar.ts';
import { neverPermits } from './never-permits.ts';

const tool = (id: string, attrs: Record<string, unknown> = {}) => ({ action: { type: 'Action', id: 'tools/call' }, resource: { type: 'Tool', id }, entities: [{ uid: { type: 'Tool', id }, attrs: { server: 'fs', tool: id.split('/')[1], ...attrs }, parents: [] }] });
const keys = { always: ['arguments_valid', 'args'], optional: ['path', 'hem'] };
const never = (policies: string, id = 'fs/write_file', extra: { schema?: string | null; links?: unknown[] } = {}) => neverPermits(loadCedar(), { policies, schema: extra.schema ?? null, ...(extra.links ? { links: extra.links } : {}) }, tool(id), keys);

describe('neverPermits (Cedar partial evaluation, unknown principal and context)', () => {
  it('is true only when no permit can apply: out of every permit scope, or every permit condition false on the known resource', () => {
    expect(never('permit (principal, action, resource == Tool::"fs/read_file");')).toBe(true);
    expect(never('permit (principal is Agent, action, resource is Tool) when { resource.tool == "read_file" && context.arguments_valid };')).toBe(true);
    expect(never('permit (principal is Agent, action, resource is Tool) unless { resource.tool == "write_file" || context.arguments_valid };')).toBe(true);
    expect(never('permit (principal, action, resource); forbid (principal, action, resource is Tool) when { resource.tool == "write_file" };')).toBe(true);
  });

  it('is false whenever some call may be permitted', () => {
    expect(never('permit (principal is Agent, action, resource is Tool) when { resource.tool == "write_file" && context.arguments_valid };')).toBe(false);
    // decided by whether an optional key exists: the probe tries it absent and present
    expect(never('permit (principal, action, resource) when { !(context has path) };')).toBe(false);
    expect(never('permit (principal, action, resource) when { context has hem && context.hem.resolution == "APPROVED" };')).toBe(false);
    // principal attributes and hierarchy are unknown to the probe
    expect(never('permit (principal in Group::"writers", action, resource);')).toBe(false);
    expect(never('permit (principal, action, resource) when { principal.level > 3 };')).toBe(false);
    // a forbid that only sometimes applies leaves the permit
    expect(never('permit (principal, action, resource); forbid (principal, action, resource) when { context.arguments_valid == false };')).toBe(false);
  });

  it('is false for what the probe does not model: a schema, template links, an unparsable set', () => {
    expect(never('permit (principal, action, resource == Tool::"fs/read_file");', 'fs/write_file', { schema: 'entity Agent;' })).toBe(false);
    expect(never('permit (principal, action, resource == Tool::"fs/read_file");', 'fs/write_file', { links: [{}] })).toBe(false);
    expect(never('permit (principal, action, resource')).toBe(false);
  });
});
