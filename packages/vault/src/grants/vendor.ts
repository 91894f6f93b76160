import { z } from 'zod'

/** A vendor the owner deals with (an OAuth client, once the consent API registers it). */
export const VendorInput = z
  .object({
    name: z.string().trim().min(1).max(200),
    uri: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional(),
    logoUri: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional(),
    contacts: z.array(z.string().trim().min(1).max(200)).max(10).optional(),
  })
  .strict()
export type VendorInput = z.input<typeof VendorInput>

export interface Vendor extends z.output<typeof VendorInput> {
  readonly id: string
  readonly blocked: boolean
  readonly createdAt: string
}
