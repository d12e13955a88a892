/**
 * The API's route table: the one list that the handler's router, the local
 * sandbox's HTTP API front door and the CDK stack's HTTP API routes are all
 * built from, so the three cannot drift apart.
 *
 * `path` is written as API Gateway writes a route key (`/todos/{id}`).
 */
export const ROUTES = [
  { method: 'GET', path: '/todos', operation: 'listTodos' },
  { method: 'POST', path: '/todos', operation: 'createTodo' },
  { method: 'GET', path: '/todos/{id}', operation: 'getTodo' },
  { method: 'PUT', path: '/todos/{id}', operation: 'replaceTodo' },
  { method: 'PATCH', path: '/todos/{id}', operation: 'patchTodo' },
  { method: 'DELETE', path: '/todos/{id}', operation: 'deleteTodo' },
  // The API's own OpenAPI description, built from this table and the validation rules.
  { method: 'GET', path: '/openapi.json', operation: 'getOpenApiDocument' },
] as const;

export type Route = (typeof ROUTES)[number];
/** Every operation of the route table. */
export type RouteOperation = Route['operation'];
/** The operations on todos (the use cases); the handler itself serves the API description. */
export type Operation = Exclude<RouteOperation, 'getOpenApiDocument'>;

/** The API Gateway route key of a route, e.g. `GET /todos/{id}`. */
export const routeKey = (route: Route): string => `${route.method} ${route.path}`;
