using Panaptico.Storage.Remediation;

namespace Panaptico.Storage.Tests.Remediation;

public class ChangeIdCounterTests
{
    [Fact]
    public async Task Concurrent_reservations_from_several_instances_never_hand_out_a_number_twice()
    {
        var storage = await ChainStorage.CreateAsync();
        var day = new DateOnly(2026, 4, 18);
        var counters = Enumerable.Range(0, 3).Select(_ => new ChangeIdCounter(storage.Table)).ToList();

        var reservations = await Task.WhenAll(Enumerable.Range(0, 30).Select(async i =>
        {
            var size = 1 + (i % 3);
            var first = await counters[i % counters.Count].ReserveAsync(day, size, CancellationToken.None);
            return Enumerable.Range(first, size);
        }));

        var numbers = reservations.SelectMany(r => r).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 60), numbers);
        Assert.Equal(1, await counters[0].ReserveAsync(day.AddDays(1), 1, CancellationToken.None));
    }
}
