/** @module What every scenario receives and returns. */

import type { KeyPair } from '../../src/crypto/index.ts'
import type { Costs } from './bound.ts'
import type { Row } from './report.ts'

export type Ctx = {
  quick: boolean
  /** The crypto bound measured at the start of this run (scenario 1). */
  costs: Costs
  /** Distinct server identity keys. */
  serverKeys: readonly KeyPair[]
  /** The small pool load-generator users share. */
  userKeys: readonly KeyPair[]
  /**
   * The one-core costs measured again now (≈ 6 s): a long phase takes them before and after
   * itself and takes the lower of each (`fastestCosts`).
   */
  recalibrate(): Promise<Costs>
  /** A progress line on stderr. */
  say(msg: string): void
}

export type Scenario = {
  id: string
  title: string
  /** Upper bound on the scenario's wall time; beyond it the run fails. */
  timeoutMs(quick: boolean): number
  run(ctx: Ctx): Promise<Row[]>
}
