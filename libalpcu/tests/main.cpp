// SPDX-License-Identifier: MIT
// Catch2 main, and a reporter that prints one TAP line per test case
// ("ok N name" / "not ok N name", plan last), which is what the VM runner
// and the host runner count. Catch2's own TAP reporter prints one line
// per assertion instead. Failed assertions are printed as "# " lines.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <iostream>

namespace {

class TapCaseReporter : public Catch::StreamingReporterBase<TapCaseReporter> {
public:
    using StreamingReporterBase::StreamingReporterBase;

    static std::string getDescription() { return "TAP, one line per test case"; }

    void assertionStarting(Catch::AssertionInfo const&) override {}

    bool assertionEnded(Catch::AssertionStats const& stats) override {
        const auto& r = stats.assertionResult;
        if (r.isOk())
            return true;
        stream << "# " << r.getSourceInfo() << ": ";
        if (r.hasExpression())
            stream << r.getExpressionInMacro() << " with expansion " << r.getExpandedExpression();
        if (r.hasMessage())
            stream << " " << r.getMessage();
        for (const auto& info : stats.infoMessages)
            stream << " [" << info.message << "]";
        stream << "\n";
        return true;
    }

    void testCaseEnded(Catch::TestCaseStats const& stats) override {
        ++count_;
        bool ok = stats.totals.assertions.failed == 0 && !stats.aborting;
        stream << (ok ? "ok " : "not ok ") << count_ << " " << stats.testInfo.name << "\n";
        stream.flush();
        StreamingReporterBase::testCaseEnded(stats);
    }

    void testRunEnded(Catch::TestRunStats const& stats) override {
        stream << "1.." << count_ << "\n";
        StreamingReporterBase::testRunEnded(stats);
    }

private:
    unsigned count_ = 0;
};

} // namespace

CATCH_REGISTER_REPORTER("tapcase", TapCaseReporter)
