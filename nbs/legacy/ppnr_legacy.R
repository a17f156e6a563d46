# Legacy PPNR reference models, as the bank's R code runs them: lm (OLS), forecast::Arima (ARIMAX,
# regression with AR(1) errors) and lme4::lmer (mixed model with a random slope), fitted on the CSV
# inputs written by mrm_research.ppnr.legacy.write_legacy_inputs. Optimizer settings are tight and
# recorded, because goldens of iterative fits depend on them (see ../shared/notes/ppnr-parity.md).
# Usage: Rscript ppnr_legacy.R INPUT_DIR OUTPUT_JSON
suppressPackageStartupMessages({ library(forecast); library(lme4) })
args <- commandArgs(trailingOnly = TRUE)
input <- args[1]; output <- args[2]
panel <- read.csv(file.path(input, "panel.csv"), stringsAsFactors = FALSE)
series <- read.csv(file.path(input, "series.csv"), stringsAsFactors = FALSE)
scenarios <- read.csv(file.path(input, "scenarios.csv"), stringsAsFactors = FALSE)

num <- function(x) paste0("[", paste(sprintf("%.17g", as.numeric(x)), collapse = ", "), "]")
str_list <- function(x) paste0("[", paste0('"', x, '"', collapse = ", "), "]")
obj <- function(...) { items <- list(...); paste0("{", paste0('"', names(items), '": ', unlist(items), collapse = ", "), "}") }

# 1. OLS: the pooled NII model
ols <- lm(net_interest_income ~ lag + short_rate + unemployment + gdp_growth, data = panel)
ols_json <- obj(names = str_list(names(coef(ols))), coef = num(coef(ols)), se = num(sqrt(diag(vcov(ols)))),
                loglik = num(as.numeric(logLik(ols))), sigma2 = num(summary(ols)$sigma^2), fitted = num(fitted(ols)))

# 2. ARIMAX: industry PPNR with AR(1) errors and macro regressors, forecasts under each scenario
drivers <- c("short_rate", "unemployment", "gdp_growth")
ctrl <- list(reltol = 1e-14, maxit = 10000)
arimax <- Arima(series$ppnr, order = c(1, 0, 0), xreg = as.matrix(series[, drivers]), include.mean = TRUE, method = "ML", optim.control = ctrl)
forecasts <- sapply(c("baseline", "adverse", "severely_adverse"), function(s) {
  x <- as.matrix(scenarios[scenarios$scenario == s, drivers])
  num(forecast(arimax, xreg = x, h = nrow(x))$mean)
})
arimax_json <- obj(names = str_list(names(coef(arimax))), coef = num(coef(arimax)), se = num(sqrt(diag(arimax$var.coef))),
                   loglik = num(arimax$loglik), sigma2 = num(arimax$sigma2), fitted = num(fitted(arimax)),
                   forecast_baseline = forecasts[["baseline"]], forecast_adverse = forecasts[["adverse"]],
                   forecast_severely_adverse = forecasts[["severely_adverse"]], optim_reltol = num(1e-14))

# 3. Mixed model: random intercept and short-rate slope per bank, ML and REML
mixed <- function(reml) {
  fit <- lmer(net_interest_income ~ lag + short_rate + unemployment + gdp_growth + (1 + short_rate | bank_id), data = panel, REML = reml,
              control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 2e-4, rhoend = 2e-10, maxfun = 1e5)))
  obj(names = str_list(names(fixef(fit))), fixef = num(fixef(fit)), se = num(sqrt(diag(as.matrix(vcov(fit))))),
      loglik = num(as.numeric(logLik(fit))), theta = num(getME(fit, "theta")), sigma = num(sigma(fit)),
      cov_re = num(as.numeric(VarCorr(fit)$bank_id)))
}
versions <- obj(R = paste0('"', R.version.string, '"'), forecast = paste0('"', packageVersion("forecast"), '"'),
                lme4 = paste0('"', packageVersion("lme4"), '"'))
writeLines(obj(versions = versions, ols = ols_json, arimax = arimax_json, lmer_ml = mixed(FALSE), lmer_reml = mixed(TRUE)), output)
