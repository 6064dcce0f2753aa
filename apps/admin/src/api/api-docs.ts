import { applyDecorators, HttpCode, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { errorSchema } from './schemas';

/**
 * The OpenAPI description every token-guarded controller shares: its tag, how the token is presented
 * (the bearer header unless `auth` says otherwise) and the 401 answer.
 */
export function GuardedRoutes(tag: string, auth: ClassDecorator & MethodDecorator = ApiBearerAuth()): ClassDecorator {
  return applyDecorators(
    ApiTags(tag),
    auth,
    ApiUnauthorizedResponse({ description: 'missing or unknown token', schema: errorSchema }),
  );
}

/** Routes under one sink's name: guarded, and a 404 for a name no sink has. */
export function SinkRoutes(tag: string): ClassDecorator {
  return applyDecorators(GuardedRoutes(tag), ApiNotFoundResponse({ description: 'no such sink', schema: errorSchema }));
}

/** The `:name` path parameter of the sink routes. */
export const sinkParam = { name: 'name', type: String, description: 'sink name' };

/** A POST only an operator may call: `status` (200) on success, 403 for a viewer token. */
export function OperatorPost(path: string | undefined, summary: string, status = 200): MethodDecorator {
  return applyDecorators(
    Post(path),
    HttpCode(status),
    ApiOperation({ summary }),
    ApiForbiddenResponse({ description: 'viewer token', schema: errorSchema }),
  );
}
