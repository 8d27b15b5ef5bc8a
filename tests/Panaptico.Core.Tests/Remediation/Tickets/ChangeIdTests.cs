using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Core.Tests.Remediation.Tickets;

public class ChangeIdTests
{
    [Fact]
    public void Formats_day_and_sequence_as_the_walkthrough_does()
    {
        Assert.Equal("CHG-2026-0418-114", new ChangeId(new DateOnly(2026, 4, 18), 114).ToString());
        Assert.Equal("CHG-2026-0418-007", ChangeId.For(new DateTimeOffset(2026, 4, 18, 23, 30, 0, TimeSpan.FromHours(-5)).AddHours(-5), 7).ToString());
        Assert.Equal("CHG-2026-0419-1000", ChangeId.For(new DateTimeOffset(2026, 4, 18, 23, 30, 0, TimeSpan.FromHours(-5)), 1000).ToString());
    }

    [Theory]
    [InlineData("CHG-2026-0418-114")]
    [InlineData("CHG-2026-0418-001")]
    [InlineData("CHG-2026-1231-12345")]
    public void Parses_what_it_formats(string text)
    {
        Assert.Equal(text, ChangeId.Parse(text).ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("CHG-2026-0418-14")]
    [InlineData("CHG-2026-0418-000")]
    [InlineData("CHG-2026-0418-0114")]
    [InlineData("CHG-2026-1304-114")]
    [InlineData("chg-2026-0418-114")]
    [InlineData("CHG-2026-0418-114 ")]
    public void Refuses_anything_else(string? text)
    {
        Assert.False(ChangeId.TryParse(text, out _));
    }
}
