# Legacy PPNR reference models, as the bank's R code runs them: lm (OLS), forecast::Arima (ARIMAX,
# regression with AR(1) errors, one model per PPNR component plus a top-down PPNR model) and
# lme4::lmer (mixed model with a random slope), fitted on the CSV inputs written by
# mrm_research.ppnr.legacy.write_legacy_inputs. Optimizer settings are tight and recorded, because
# goldens of iterative fits depend on them (see ../shared/notes/ppnr-parity.md).
# Usage: Rscript ppnr_legacy.R INPUT_DIR OUTPUT_JSON
suppressPackageStartupMessages({ library(forecast); library(lme4) })
args <- commandArgs(trailingOnly = TRUE)
input <- args[1]; output <- args[2]
panel <- read.csv(file.path(input, "panel.csv"), stringsAsFactors = FALSE)
series <- read.csv(file.path(input, "series.csv"), stringsAsFactors = FALSE)
scenarios <- read.csv(file.path(input, "scenarios.csv"), stringsAsFactors = FALSE)
scenario_names <- c("baseline", "adverse", "severely_adverse")

num <- function(x) paste0("[", paste(sprintf("%.17g", as.numeric(x)), collapse = ", "), "]")
str_list <- function(x) paste0("[", paste0('"', x, '"', collapse = ", "), "]")
obj <- function(...) { items <- list(...); paste0("{", paste0('"', names(items), '": ', unlist(items), collapse = ", "), "}") }
rows <- function(m) paste0("[", paste(apply(m, 1, num), collapse = ", "), "]")  # a matrix as a list of rows

# Drivers of each ARIMAX model (must match mrm_research.ppnr.legacy.ARIMAX_DRIVERS)
arimax_drivers <- list(ppnr = c("short_rate", "unemployment", "gdp_growth"),
                       net_interest_income = c("short_rate", "unemployment", "gdp_growth"),
                       noninterest_income = c("gdp_growth", "unemployment_change"),
                       noninterest_expense = c("unemployment", "inflation"))
ctrl <- list(reltol = 1e-14, maxit = 10000)
horizon <- 9; backtest_origins <- 12
fit_arimax <- function(y, x) Arima(y, order = c(1, 0, 0), xreg = x, include.mean = TRUE, method = "ML", optim.control = ctrl)

# 1. OLS: the pooled NII model, and each bank's recursive 9-quarter NII forecast per scenario
ols <- lm(net_interest_income ~ lag + short_rate + unemployment + gdp_growth, data = panel)
banks <- sort(unique(panel$bank_id))
last_nii <- sapply(banks, function(b) { p <- panel[panel$bank_id == b, ]; p$net_interest_income[nrow(p)] })
recursive <- function(coefs) sapply(scenario_names, function(s) {
  x <- scenarios[scenarios$scenario == s, ]
  path <- matrix(NA, length(banks), horizon); previous <- last_nii
  for (h in 1:horizon) {
    previous <- coefs[, 1] + coefs[, "lag"] * previous + coefs[, "short_rate"] * x$short_rate[h] + coefs[, "unemployment"] * x$unemployment[h] + coefs[, "gdp_growth"] * x$gdp_growth[h]
    path[, h] <- previous
  }
  rows(path)
})
ols_coefs <- matrix(coef(ols), length(banks), 5, byrow = TRUE, dimnames = list(banks, names(coef(ols))))
ols_forecasts <- recursive(ols_coefs)
ols_json <- obj(names = str_list(names(coef(ols))), coef = num(coef(ols)), se = num(sqrt(diag(vcov(ols)))),
                loglik = num(as.numeric(logLik(ols))), sigma2 = num(summary(ols)$sigma^2), fitted = num(fitted(ols)),
                banks = str_list(banks), forecast_baseline = ols_forecasts[["baseline"]], forecast_adverse = ols_forecasts[["adverse"]],
                forecast_severely_adverse = ols_forecasts[["severely_adverse"]])

# 2. ARIMAX per series: industry PPNR (top-down) and each component (bottom-up), forecasts under each
#    scenario, and a rolling-origin back-test (refit on the first t quarters, forecast 9 with actual drivers)
arimax_model <- function(target) {
  drivers <- arimax_drivers[[target]]; x <- as.matrix(series[, drivers]); y <- series[[target]]
  fit <- fit_arimax(y, x)
  forecasts <- sapply(scenario_names, function(s) num(forecast(fit, xreg = as.matrix(scenarios[scenarios$scenario == s, drivers]), h = horizon)$mean))
  n <- length(y); origins <- (n - horizon - backtest_origins + 1):(n - horizon)
  backtest <- t(sapply(origins, function(t0) {
    refit <- fit_arimax(y[1:t0], x[1:t0, , drop = FALSE])
    as.numeric(forecast(refit, xreg = x[(t0 + 1):(t0 + horizon), , drop = FALSE], h = horizon)$mean)
  }))
  list(json = obj(names = str_list(names(coef(fit))), coef = num(coef(fit)), se = num(sqrt(diag(fit$var.coef))),
                  loglik = num(fit$loglik), sigma2 = num(fit$sigma2), fitted = num(fitted(fit)),
                  forecast_baseline = forecasts[["baseline"]], forecast_adverse = forecasts[["adverse"]],
                  forecast_severely_adverse = forecasts[["severely_adverse"]], backtest_origins = num(origins), backtest = rows(backtest)),
       forecasts = sapply(scenario_names, function(s) forecast(fit, xreg = as.matrix(scenarios[scenarios$scenario == s, drivers]), h = horizon)$mean))
}
arimax <- lapply(names(arimax_drivers), arimax_model); names(arimax) <- names(arimax_drivers)
# PPNR aggregation (bottom-up): NII + non-interest income - non-interest expense
aggregate <- arimax$net_interest_income$forecasts + arimax$noninterest_income$forecasts - arimax$noninterest_expense$forecasts
arimax_json <- paste0("{", paste0('"', names(arimax), '": ', sapply(arimax, function(m) m$json), collapse = ", "),
                      ', "aggregate": ', obj(forecast_baseline = num(aggregate[, "baseline"]), forecast_adverse = num(aggregate[, "adverse"]),
                                             forecast_severely_adverse = num(aggregate[, "severely_adverse"])),
                      ', "optim_reltol": ', num(1e-14), "}")

# 3. Mixed model: random intercept and short-rate slope per bank, ML and REML; per-bank recursive
#    forecasts with the bank's own coefficients (fixed effects + predicted random effects)
mixed <- function(reml) {
  fit <- lmer(net_interest_income ~ lag + short_rate + unemployment + gdp_growth + (1 + short_rate | bank_id), data = panel, REML = reml,
              control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 2e-4, rhoend = 2e-10, maxfun = 1e5)))
  bank_coefs <- as.matrix(coef(fit)$bank_id[banks, ]); forecasts <- recursive(bank_coefs)
  obj(names = str_list(names(fixef(fit))), fixef = num(fixef(fit)), se = num(sqrt(diag(as.matrix(vcov(fit))))),
      loglik = num(as.numeric(logLik(fit))), theta = num(getME(fit, "theta")), sigma = num(sigma(fit)),
      cov_re = num(as.numeric(VarCorr(fit)$bank_id)), fitted = num(fitted(fit)), banks = str_list(banks),
      ranef = rows(as.matrix(ranef(fit)$bank_id[banks, ])), forecast_baseline = forecasts[["baseline"]],
      forecast_adverse = forecasts[["adverse"]], forecast_severely_adverse = forecasts[["severely_adverse"]])
}
versions <- obj(R = paste0('"', R.version.string, '"'), forecast = paste0('"', packageVersion("forecast"), '"'),
                lme4 = paste0('"', packageVersion("lme4"), '"'))
writeLines(obj(versions = versions, ols = ols_json, arimax = arimax_json, lmer_ml = mixed(FALSE), lmer_reml = mixed(TRUE)), output)
