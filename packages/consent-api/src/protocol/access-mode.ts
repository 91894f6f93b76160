import { z } from 'zod'
import type { AccessMode } from '@custos/vault'

/**
 * A grant's access mode on the wire (issue 12 §5): PDPP's `access_mode` spelling (`single_use`,
 * PDPP spec-core §7), which Custos's own `custos_fields` detail uses too; the vault says `singleUse`.
 */
export const WireAccessMode = z.enum(['continuous', 'single_use'])
export type WireAccessMode = z.output<typeof WireAccessMode>

export const fromWireMode = (m: WireAccessMode): AccessMode =>
  m === 'single_use' ? 'singleUse' : 'continuous'

export const toWireMode = (m: AccessMode): WireAccessMode =>
  m === 'singleUse' ? 'single_use' : 'continuous'
