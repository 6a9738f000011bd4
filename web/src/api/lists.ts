// Whole lists for pickers and name look-ups: every page, not the first one
// alone (a practice with more roles, locations or members than a page holds
// would otherwise miss some).
import { api, call, type Location, type Member, type Role } from './client';
import { allPages } from '../lib/paging';

export function allRoles(pid: string): Promise<Role[]> {
  return allPages((cursor) => call(api.GET('/practices/{pid}/roles', { params: { path: { pid }, query: { cursor, limit: 100 } } })));
}

export function allLocations(pid: string): Promise<Location[]> {
  return allPages((cursor) => call(api.GET('/practices/{pid}/locations', { params: { path: { pid }, query: { cursor, limit: 100 } } })));
}

export function allMembers(pid: string): Promise<Member[]> {
  return allPages((cursor) => call(api.GET('/practices/{pid}/members', { params: { path: { pid }, query: { status: 'all', cursor, limit: 100 } } })));
}
