// What test/global-setup.ts provides to every test file through inject().
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}
