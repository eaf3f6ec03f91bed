/** @module Verification proven in the type system: only the functions here mint a `Verified<T>`. */

declare const verifiedBrand: unique symbol

/** A frame whose transport or content signature has been checked against the right key. */
export type Verified<T> = T & { readonly [verifiedBrand]: true }

/** The one cast, used only after a successful check by the verify functions of this folder. */
export function brand<T>(value: T): Verified<T> {
  return value as Verified<T>
}
