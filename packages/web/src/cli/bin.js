#!/usr/bin/env node
// The `custos` bin of @custos/web: registers tsx (the sources are TypeScript, with no build
// step — README "Development"), then runs the command.
import { register } from 'tsx/esm/api'

register()
await import('./main.ts')
