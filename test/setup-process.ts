import { treatProtoAsOrdinaryKey } from '@distributary/core';

// Tests run the pipeline in their own process as the apps do: `__proto__` is an ordinary key there too.
treatProtoAsOrdinaryKey();
