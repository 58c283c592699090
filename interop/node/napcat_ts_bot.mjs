// A bot written with node-napcat-ts (a TypeScript SDK typed for NapCat), run against
// `napcat sim` over forward WebSocket. Usage: node napcat_ts_bot.mjs WS_URL [TOKEN]
//
// It prints one JSON line per thing it did (see interop/python/aiocqhttp_bot.py for the
// steps); each line carries the event as the library gave it and what each call returned.
import { NCWebsocket } from 'node-napcat-ts'

const [url, token] = process.argv.slice(2)
const upload = Buffer.from('interop report\n').toString('base64')

function report (fields) {
  process.stdout.write(JSON.stringify(fields) + '\n')
}

// A failed call rejects with NapCat's envelope; anything else is an Error.
function failure (where, e) {
  report({ step: 'error', where, error: e instanceof Error ? e.message : e })
}

function textOf (message) {
  return message.filter(s => s.type === 'text').map(s => s.data.text).join('')
}

// Reconnection off: a dropped connection is a failure the suite should see.
const bot = new NCWebsocket({ baseUrl: url, accessToken: token ?? '', reconnection: { enable: false } })

bot.on('message.group', async (event) => {
  if (textOf(event.message) !== 'ping') return
  try {
    const group = event.group_id
    const user = event.user_id
    const sent = await bot.send_group_msg({
      group_id: group,
      message: [
        { type: 'reply', data: { id: String(event.message_id) } },
        { type: 'text', data: { text: 'pong' } }
      ]
    })
    const member = await bot.get_group_member_info({ group_id: group, user_id: user })
    const ban = await bot.set_group_ban({ group_id: group, user_id: user, duration: 60 })
    const uploaded = await bot.upload_group_file({ group_id: group, file: 'base64://' + upload, name: 'report.txt' })
    const files = await bot.get_group_root_files({ group_id: group })
    report({ step: 'group-message', event, sent, member, ban, upload: uploaded, files })
  } catch (e) {
    failure('group-message', e)
  }
})

bot.on('request.friend', async (event) => {
  try {
    const approved = await bot.set_friend_add_request({ flag: event.flag, approve: true })
    report({ step: 'friend-request', event, approved })
  } catch (e) {
    failure('friend-request', e)
  }
})

bot.on('request.group', async (event) => {
  try {
    const approved = await bot.set_group_add_request({ flag: event.flag, approve: true })
    report({ step: 'group-request', event, approved })
  } catch (e) {
    failure('group-request', e)
  }
})

bot.on('notice', (event) => report({ step: 'notice', event }))

bot.on('socket.close', (e) => {
  report({ step: 'closed', code: e.code })
  process.exit(0)
})

await bot.connect()
report({ step: 'connected' })
