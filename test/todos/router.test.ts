import { describe, expect, it } from 'vitest';
import { MethodNotAllowedError, NotFoundError } from '../../functions/todos/errors';
import { matchRoute, routeKeyOf } from '../../functions/todos/router';
import { ROUTES, routeKey } from '../../functions/todos/routes';

describe('router', () => {
  it('matches every route of the shared route table', () => {
    // Act
    const matched = ROUTES.map((route) => matchRoute(route.method, route.path.replace('{id}', 'abc')));

    // Assess
    expect(matched.map((match) => match.operation)).toEqual(ROUTES.map((route) => route.operation));
  });

  it('decodes path parameters', () => {
    // Act
    const match = matchRoute('GET', '/todos/a%20b');

    // Assess
    expect(match.params).toEqual({ id: 'a b' });
  });

  it('names every method its path serves with a match, as the Allow header lists them', () => {
    // Act
    const match = matchRoute('GET', '/todos');

    // Assess
    expect(match.allowed).toEqual(['GET', 'POST']);
  });

  it('tells an unknown path (404) from a wrong method (405 with the allowed methods)', () => {
    // Act + Assess
    expect(() => matchRoute('GET', '/todos/a/b')).toThrow(NotFoundError);
    expect(() => matchRoute('HEAD', '/todos')).toThrow(MethodNotAllowedError);
    const thrown = (() => {
      try {
        matchRoute('HEAD', '/todos/x');
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(MethodNotAllowedError);
    expect((thrown as MethodNotAllowedError).headers).toEqual({ allow: 'GET, PUT, PATCH, DELETE' });
  });

  it('names the route key of a request, or $default when nothing matches', () => {
    // Act + Assess
    expect(routeKeyOf('PATCH', '/todos/xyz')).toBe(routeKey(ROUTES[4]));
    expect(routeKeyOf('GET', '/todos')).toBe('GET /todos');
    expect(routeKeyOf('GET', '/elsewhere')).toBe('$default');
    expect(routeKeyOf('TRACE', '/todos')).toBe('$default');
  });
});
