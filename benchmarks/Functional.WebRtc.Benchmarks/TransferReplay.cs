using System.Diagnostics;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.DataChannels;
using Functional.WebRtc.Core.Sctp;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// What the core costs apart from the shell: two data-channel machines move N MiB in 64 KiB messages through a
/// perfect in-memory link in simulated time, while every input of the sending side is recorded (its event log).
/// That log is then replayed through a fresh machine with the same seed, without sockets, DTLS or threads, and the
/// replay must give the same outputs. Prints inputs per second and MB/s of the replay.
/// Run: dotnet run -c Release --project benchmarks/Functional.WebRtc.Benchmarks -- transfer-replay [MiB]
/// </summary>
public static class TransferReplay
{
    private const int MessageSize = 64 << 10;

    public static int Run(string[] args)
    {
        var mib = args.Length > 1 ? int.Parse(args[1]) : 64;
        var total = (long)mib << 20;
        var config = new SctpConfig { InitialCwnd = 256 * 1024 };
        var (log, outputsOfA) = Record(config, total);
        Console.WriteLine($"recorded {log.Count} inputs of the sending side for {mib} MiB");
        // Warm up, then time the replays.
        Replay(config, log);
        var runs = 3;
        var clock = Stopwatch.StartNew();
        var replayed = 0L;
        for (var i = 0; i < runs; i++) replayed = Replay(config, log);
        var seconds = clock.Elapsed.TotalSeconds / runs;
        if (replayed != outputsOfA) throw new Exception($"the replay gave {replayed} outputs, the run {outputsOfA}");
        Console.WriteLine($"transfer-replay: {log.Count / seconds:N0} inputs/s, {total / seconds / 1e6:F0} MB/s of payload " +
                          $"({seconds * 1000:F1} ms per {mib} MiB replay; {outputsOfA} outputs, as many as the recorded run)");
        return 0;
    }

    private static long Replay(SctpConfig config, List<DataChannelInput> log)
    {
        var a = DataChannelMachine.Create(config, new Entropy(1));
        long outputs = 0;
        foreach (var input in log)
        {
            var step = DataChannelMachine.Handle(a, input);
            a = step.State;
            outputs += step.Outputs.Count;
        }
        return outputs;
    }

    private static (List<DataChannelInput> Log, long OutputsOfA) Record(SctpConfig config, long total)
    {
        var a = DataChannelMachine.Create(config, new Entropy(1));
        var b = DataChannelMachine.Create(config, new Entropy(2));
        var log = new List<DataChannelInput>();
        var toA = new List<byte[]>();
        var toB = new List<byte[]>();
        var payload = new byte[MessageSize];
        long received = 0, outputsOfA = 0;
        var handle = 0;
        var now = TimeSpan.Zero;

        void RunA(DataChannelInput input)
        {
            log.Add(input);
            var step = DataChannelMachine.Handle(a, input);
            a = step.State;
            outputsOfA += step.Outputs.Count;
            foreach (var o in step.Outputs)
                if (o is DataChannelOutput.Transmit t) toB.Add(t.Packet);
                else if (o is DataChannelOutput.ChannelCreated c) handle = c.Channel.Handle;
        }
        void RunB(DataChannelInput input)
        {
            var step = DataChannelMachine.Handle(b, input);
            b = step.State;
            foreach (var o in step.Outputs)
                if (o is DataChannelOutput.Transmit t) toA.Add(t.Packet);
                else if (o is DataChannelOutput.MessageReceived m) received += m.Data.Length;
        }

        RunA(new DataChannelInput.Create(now, new DataChannelOptions("bulk")));
        RunA(new DataChannelInput.Start(now, true, 256 << 10));
        RunB(new DataChannelInput.Start(now, false, 256 << 10));
        long sent = 0;
        for (var guard = 0; received < total && guard < 50_000_000; guard++)
        {
            now += TimeSpan.FromMicroseconds(50);
            while (sent < total && a.Channels.Find(handle).Exists(c => c.ReadyState == DataChannelReadyState.Open && c.BufferedAmount < 2 * MessageSize))
            {
                RunA(new DataChannelInput.Send(now, handle, false, payload));
                sent += MessageSize;
            }
            if (toB.Count > 0) { var batch = toB.ToArray(); toB.Clear(); RunB(new DataChannelInput.ReceivedBatch(now, batch)); }
            if (toA.Count > 0) { var batch = toA.ToArray(); toA.Clear(); RunA(new DataChannelInput.ReceivedBatch(now, batch)); }
            else RunA(new DataChannelInput.Tick(now));
        }
        return (log, outputsOfA);
    }
}
