// The README demo: two PeerConnections in this process negotiate (offer, answer, a renegotiation that is rolled back
// and one that completes), connect over 127.0.0.1 (ICE, DTLS, SCTP), open a data channel, exchange messages and move
// a few hundred megabytes with bufferedAmountLow flow control, printing states, the selected pair and the throughput.
using System.Diagnostics;
using Functional.WebRtc;

var megabytes = args.Length > 0 && int.TryParse(args[0], out var mb) ? mb : 256;
const int MessageSize = 64 * 1024;
var started = Stopwatch.StartNew();
void Log(string who, string what) => Console.WriteLine($"[{started.Elapsed.TotalMilliseconds,8:F1} ms] {who,-6} {what}");

await using var alice = new PeerConnection();
await using var bob = new PeerConnection();
foreach (var (name, pc) in new[] { ("alice", alice), ("bob", bob) })
{
    pc.OnSignalingStateChange += s => Log(name, $"signaling -> {s.ToText()}");
    pc.OnIceConnectionStateChange += s => Log(name, $"ICE -> {s.ToText()}");
    pc.OnConnectionStateChange += s => Log(name, $"connection -> {s.ToText()}");
}

// 1. Offer and answer (vanilla ICE: wait for gathering, send whole descriptions).
var chat = alice.CreateDataChannel("chat");
var bobsChannel = new TaskCompletionSource<DataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
bob.OnDataChannel += bobsChannel.SetResult;
await alice.SetLocalDescriptionAsync(await alice.CreateOfferAsync());
await alice.GatheringComplete;
Log("alice", "offer:\n" + Indent(alice.LocalDescription!.Sdp));
await bob.SetRemoteDescriptionAsync(alice.LocalDescription!);
await bob.SetLocalDescriptionAsync(await bob.CreateAnswerAsync());
await bob.GatheringComplete;
Log("bob", "answer:\n" + Indent(bob.LocalDescription!.Sdp));
await alice.SetRemoteDescriptionAsync(bob.LocalDescription!);

// 2. Renegotiation: an offer that alice rolls back, then one that completes (adds an audio transceiver).
alice.AddTransceiverFromKind(MediaKind.Audio);
await alice.SetLocalDescriptionAsync(await alice.CreateOfferAsync());
await alice.SetLocalDescriptionAsync(SessionDescription.Rollback());
Log("alice", "rolled back a pending offer");
await alice.SetLocalDescriptionAsync(await alice.CreateOfferAsync());
await bob.SetRemoteDescriptionAsync(alice.LocalDescription!);
await bob.SetLocalDescriptionAsync(await bob.CreateAnswerAsync());
await alice.SetRemoteDescriptionAsync(bob.LocalDescription!);
Log("alice", $"renegotiated: transceivers {string.Join(", ", alice.GetTransceivers().Select(t => $"{t.Kind} mid {t.Mid} {t.CurrentDirection}"))}");

// 3. Connected: the channel opens on both sides.
var theirs = await bobsChannel.Task.WaitAsync(TimeSpan.FromSeconds(15));
while (chat.ReadyState != DataChannelReadyState.Open) await Task.Delay(5);
Log("alice", $"selected pair: {alice.SelectedCandidatePair?.Local} -> {alice.SelectedCandidatePair?.Remote}");
var echoed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
theirs.OnMessage += m => { if (m.IsString) theirs.Send("echo: " + m.Text); };
chat.OnMessage += m => echoed.TrySetResult(m.Text);
chat.Send("hello from alice");
Log("alice", $"received \"{await echoed.Task.WaitAsync(TimeSpan.FromSeconds(10))}\"");

// 4. Bulk transfer: 64 KiB messages, pause above 1 MiB buffered, resume below 512 KiB.
var total = (long)megabytes * 1024 * 1024;
long received = 0;
var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
theirs.OnMessage += m => { if (!m.IsString && Interlocked.Add(ref received, m.Data.Length) >= total) done.TrySetResult(); };
var low = new SemaphoreSlim(0);
chat.BufferedAmountLowThreshold = 512 * 1024;
chat.OnBufferedAmountLow += () => low.Release();
var payload = new byte[MessageSize];
var cpu = Process.GetCurrentProcess().TotalProcessorTime;
var clock = Stopwatch.StartNew();
for (long sent = 0; sent < total; sent += MessageSize)
{
    while (chat.BufferedAmount > 1024 * 1024) await low.WaitAsync(TimeSpan.FromMilliseconds(50));
    chat.Send(payload);
}
await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
var seconds = clock.Elapsed.TotalSeconds;
var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
Log("bob", $"received {received / (1024 * 1024)} MiB in {seconds:F2} s: {received / seconds / 1e6:F1} MB/s, " +
           $"{cpuSeconds / (received / 1e9):F1} CPU s/GB, peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB");

// 5. Close: everything is released.
chat.Close();
await alice.CloseAsync();
await bob.CloseAsync();
Log("both", $"closed: {alice.ConnectionState.ToText()} / {bob.ConnectionState.ToText()}");
return 0;

static string Indent(string sdp) => string.Join('\n', sdp.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Select(l => "           " + l));
