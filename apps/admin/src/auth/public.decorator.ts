import { SetMetadata } from '@nestjs/common';

/** Marks a controller or route as public (health, readiness, metrics): every other route needs a token. */
export const PUBLIC_ROUTE = 'distributary:public';
export const Public = (): ClassDecorator & MethodDecorator => SetMetadata(PUBLIC_ROUTE, true);
