/** @module Lets `import sql from '…/x.sql' with { type: 'text' }` type-check. */
declare module '*.sql' {
  const text: string
  export default text
}
