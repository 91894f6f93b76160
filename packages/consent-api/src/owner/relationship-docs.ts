import { z } from 'zod'
import type { RouteDoc } from '../openapi/openapi-document.js'
import { PurposePolicy } from '../store/purpose-policy.js'
import { AgreementExport } from '../terms/agreement-export.js'
import { TermsPolicy } from '../terms/terms-policy.js'
import { Anything, INVALID, guarded, json, ok } from './owner-doc-kit.js'

/**
 * The owner's side of the relationship (issue 12) for the OpenAPI document: the purposes never
 * allowed, her MyTerms, and the agreement records — from the schemas the routes validate with.
 */
const PurposePolicyView = z.object({
  neverFor: z.array(z.string()),
  purposes: z.array(
    z.object({
      iri: z.string(),
      curie: z.string(),
      label: z.string(),
      plain: z.string(),
      broader: z.array(z.string()),
    }),
  ),
})
const TermsPolicyView = z.object({
  proffered: z.array(z.string()),
  requireAgreement: z.boolean(),
  allowAfterDecline: z.boolean(),
  roster: z.array(Anything),
})

export const relationshipRouteDocs: readonly RouteDoc[] = [
  guarded({
    method: 'get',
    path: '/owner/purpose-policy',
    summary:
      'The purposes no vendor may ask for (W3C DPV IRIs; a narrower purpose is refused too), and the catalogue of purposes Custos knows with their plain words',
    responses: ok('The policy and the catalogue', PurposePolicyView),
  }),
  guarded({
    method: 'put',
    path: '/owner/purpose-policy',
    summary:
      'Set the purposes never allowed (IRIs or compact names such as dpv:Marketing); a request naming one is refused before the consent page with access_denied, and logged',
    body: json(PurposePolicy),
    responses: { ...ok('The policy and the catalogue', PurposePolicyView), ...INVALID },
  }),
  guarded({
    method: 'get',
    path: '/owner/terms',
    summary:
      'Your MyTerms (IEEE 7012): the roster agreements you proffer, in order of preference, whether a grant needs one, whether a vendor that declines may still ask; with the roster',
    responses: ok('Your terms and the roster', TermsPolicyView),
  }),
  guarded({
    method: 'put',
    path: '/owner/terms',
    summary:
      'Set your MyTerms: proffered roster ids (preferred first), requireAgreement, allowAfterDecline; an id outside the roster is refused and nothing saved',
    body: json(TermsPolicy),
    responses: { ...ok('Your terms and the roster', TermsPolicyView), ...INVALID },
  }),
  guarded({
    method: 'get',
    path: '/owner/agreements',
    summary:
      'The IEEE 7012 agreement records, accepted and declined, newest first (the newest 500; all of them: /owner/agreements/export): each the vault-signed compact JWS (payload = the record) and the record, identical to the vendor’s copy; ?download=1 as a file, ?grant= for one grant',
    responses: ok(
      'The records',
      z.object({
        agreements: z.array(z.object({ record_id: z.string(), jws: z.string(), record: Anything })),
      }),
    ),
  }),
  guarded({
    method: 'get',
    path: '/owner/agreements/export',
    summary:
      'Download every IEEE 7012 agreement record, accepted and declined, uncapped (custos-agreements v1): each as stored — the vault’s compact JWS over the record, the same string the vendor holds, with the vendor’s own signature inside — and the vault’s public key to verify them offline. Apart from the portable export (custos-export), which it leaves unchanged',
    responses: ok('The file (an attachment)', AgreementExport),
  }),
]
