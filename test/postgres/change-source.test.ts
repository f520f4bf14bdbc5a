/**
 * The PostgreSQL wake-ups' `LISTEN` connection (`PostgresChangeSource`): it is a
 * pooled connection, so whatever it adds to a client must be gone when the client
 * goes back to the pool — however many waits came and went.
 */
import pg from 'pg'
import { describe, expect, it } from 'vitest'

import { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { freshSchema, POSTGRES_URL } from './pg-test-schemas.js'

if (POSTGRES_URL !== null) {
  const url = POSTGRES_URL

  describe('PostgresChangeSource', () => {
    it('leaves no listener on the pool’s clients after waits end', async () => {
      const pool = new pg.Pool({ connectionString: url, max: 2 })
      const listeners = async () => {
        // Both clients of the pool: connect() waits until the listening one is back.
        const clients = [await pool.connect(), await pool.connect()]
        const counts = clients.map((client) => [client.listenerCount('notification'), client.listenerCount('error')])
        for (const client of clients) client.release()
        return counts
      }
      try {
        const baseline = await listeners()
        const conduit = await ConduitRepository.openPostgres(pool, { schema: freshSchema('watch') })
        try {
          for (let i = 0; i < 12; i++) expect(await conduit.queue.wait('q', { timeoutMs: 0 })).toEqual({ ready: false })
          expect(await listeners()).toEqual(baseline)
          // And a wait still wakes on a write after all that.
          const waiting = conduit.queue.wait('q')
          await conduit.queue.enqueue({ queue: 'q', payload: 1 })
          expect(await waiting).toEqual({ ready: true })
        } finally {
          await conduit.close()
        }
        expect(await listeners()).toEqual(baseline)
      } finally {
        await pool.end()
      }
    })
  })
}
