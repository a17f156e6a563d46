# Legacy PPNR reference models, run as a bank's R code runs them, for any model suite described by a spec
# (mrm_research.ppnr.legacy.LegacySuite): lm (OLS), forecast::Arima (regression with AR(p) errors),
# lme4::lmer (linear mixed model), scenario forecasts with prediction intervals, recursive per-group
# forecasts of lagged panel models, rolling-origin back-tests and aggregations of series forecasts.
# Optimizer settings are tight and written into the output, because goldens of iterative fits depend on
# them (see ../shared/notes/ppnr-parity.md). Numbers are written with 17 significant digits (exact doubles).
# Usage: Rscript ppnr_legacy.R INPUT_DIR OUTPUT_JSON   (INPUT_DIR holds spec.json and one CSV per dataset)
suppressPackageStartupMessages({ library(forecast); library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
input <- args[1]; output <- args[2]
spec <- fromJSON(file.path(input, "spec.json"), simplifyVector = FALSE)
data <- lapply(setNames(nm = unlist(spec$datasets)), function(name) read.csv(file.path(input, paste0(name, ".csv")), stringsAsFactors = FALSE))

# ---- a JSON writer with 17 significant digits (jsonlite rounds to 15) ----
to_json <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    items <- vapply(x, to_json, "")
    if (!is.null(names(x))) return(paste0("{", paste0(vapply(names(x), function(n) as.character(toJSON(n, auto_unbox = TRUE)), ""), ": ", items, collapse = ", "), "}"))
    return(paste0("[", paste(items, collapse = ", "), "]"))
  }
  if (is.matrix(x)) return(to_json(lapply(seq_len(nrow(x)), function(i) as.vector(x[i, ]))))
  values <- if (is.character(x)) ifelse(is.na(x), "null", vapply(x, function(s) as.character(toJSON(s, auto_unbox = TRUE)), ""))
            else if (is.logical(x)) ifelse(is.na(x), "null", ifelse(x, "true", "false"))
            else ifelse(is.na(x), "null", sprintf("%.17g", as.numeric(x)))
  if (!is.null(attr(x, "scalar"))) return(values)
  paste0("[", paste(values, collapse = ", "), "]")
}
scalar <- function(x) structure(x, scalar = TRUE)

arima_control <- list(reltol = 1e-14, maxit = 10000)
lmer_control <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5))
horizon <- spec$horizon
scenario_names <- unlist(spec$scenarios$names)
scenario_rows <- function(s) { d <- data[[spec$scenarios$data]]; d <- d[d[[spec$scenarios$column]] == s, ]; d[order(d[[spec$time]]), ] }
by_time <- function(d) d[order(d[[spec$time]]), ]

# ---- OLS and mixed models: coefficients per group for recursive forecasts ----
recursive_forecasts <- function(coefs, rec, d) {
  # coefs: one row per group (columns named as the model's coefficients); projections y_h = c0 + c_lag y_(h-1) + c'x_h
  d <- d[order(d[[rec$group]], d[[spec$time]]), ]
  last <- tapply(d[[rec$of]], d[[rec$group]], function(v) tail(v[!is.na(v)], 1))[rownames(coefs)]
  drivers <- setdiff(colnames(coefs), c("(Intercept)", rec$lag))
  out <- list()
  for (s in scenario_names) {
    x <- scenario_rows(s); path <- matrix(NA, nrow(coefs), horizon); previous <- as.numeric(last)
    intercept <- if ("(Intercept)" %in% colnames(coefs)) coefs[, "(Intercept)"] else 0
    for (h in 1:horizon) {
      previous <- intercept + coefs[, rec$lag] * previous + as.vector(coefs[, drivers, drop = FALSE] %*% unlist(x[h, drivers]))
      path[, h] <- previous
    }
    out[[s]] <- path
  }
  list(groups = rownames(coefs), forecasts = out)
}

fit_ols <- function(m) {
  d <- data[[m$data]]; fit <- lm(as.formula(m$formula), data = d)
  out <- list(kind = scalar("ols"), names = names(coef(fit)), coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))),
              loglik = scalar(as.numeric(logLik(fit))), sigma2 = scalar(summary(fit)$sigma^2), fitted = unname(fitted(fit)),
              used_rows = as.integer(names(fitted(fit))) - 1L, nobs = scalar(nobs(fit)))
  if (!is.null(m$recursive)) {
    groups <- sort(unique(d[[m$recursive$group]]))
    coefs <- matrix(coef(fit), length(groups), length(coef(fit)), byrow = TRUE, dimnames = list(groups, names(coef(fit))))
    out$recursive <- recursive_forecasts(coefs, m$recursive, d)
  }
  out
}

fit_mixed <- function(m) {
  d <- data[[m$data]]
  fit <- lmer(as.formula(m$formula), data = d, REML = isTRUE(m$reml), control = lmer_control)
  group <- names(getME(fit, "flist"))[1]
  effects <- as.matrix(ranef(fit)[[group]]); coefs <- as.matrix(coef(fit)[[group]])
  out <- list(kind = scalar("mixed"), names = names(fixef(fit)), fixef = unname(fixef(fit)), se = unname(sqrt(diag(as.matrix(vcov(fit))))),
              loglik = scalar(as.numeric(logLik(fit))), theta = unname(getME(fit, "theta")), theta_names = names(getME(fit, "theta")),
              sigma = scalar(sigma(fit)), fitted = unname(fitted(fit)), used_rows = as.integer(names(fitted(fit))) - 1L,
              groups = rownames(effects), ranef_names = colnames(effects), ranef = unname(effects),
              singular = scalar(isSingular(fit)), optimizer = scalar(fit@optinfo$optimizer),
              convergence_messages = as.character(c(fit@optinfo$conv$lme4$messages, fit@optinfo$message)))
  if (!is.null(m$recursive)) out$recursive <- recursive_forecasts(coefs, m$recursive, d)
  out
}

# ---- regressions with AR(p) errors ----
fit_arimax <- function(y, x, m) {
  if (is.null(x)) Arima(y, order = c(m$ar_order, 0, 0), include.mean = isTRUE(m$include_mean), method = "ML", optim.control = arima_control)
  else Arima(y, order = c(m$ar_order, 0, 0), xreg = x, include.mean = isTRUE(m$include_mean), method = "ML", optim.control = arima_control)
}
arimax_forecast <- function(fit, x, h) {
  if (is.null(x)) forecast(fit, h = h, level = c(80, 95)) else forecast(fit, xreg = x, h = h, level = c(80, 95))
}
fit_arimax_model <- function(m) {
  d <- by_time(data[[m$data]]); drivers <- unlist(m$drivers)
  y <- d[[m$target]]; x <- if (length(drivers)) as.matrix(d[, drivers, drop = FALSE]) else NULL
  fit <- fit_arimax(y, x, m)
  forecasts <- list()
  for (s in scenario_names) {
    fx <- if (length(drivers)) as.matrix(scenario_rows(s)[, drivers, drop = FALSE]) else NULL
    fc <- arimax_forecast(fit, fx, horizon)
    forecasts[[s]] <- list(mean = as.numeric(fc$mean), lower80 = as.numeric(fc$lower[, 1]), upper80 = as.numeric(fc$upper[, 1]),
                           lower95 = as.numeric(fc$lower[, 2]), upper95 = as.numeric(fc$upper[, 2]))
  }
  out <- list(kind = scalar("arimax"), names = names(coef(fit)), coef = unname(coef(fit)), se = unname(sqrt(diag(fit$var.coef))),
              loglik = scalar(fit$loglik), sigma2 = scalar(fit$sigma2), aic = scalar(fit$aic), bic = scalar(fit$bic), aicc = scalar(fit$aicc),
              nobs = scalar(fit$nobs), fitted = as.numeric(fitted(fit)), forecasts = forecasts, convergence_code = scalar(fit$code))
  if (!is.null(m$backtest)) {  # refit on the first t quarters, forecast `horizon` with the drivers that happened
    n <- length(y); origins <- (n - horizon - m$backtest + 1):(n - horizon)
    refits <- lapply(origins, function(t0) fit_arimax(y[1:t0], if (is.null(x)) NULL else x[1:t0, , drop = FALSE], m))
    paths <- t(sapply(seq_along(origins), function(i) {
      t0 <- origins[i]
      as.numeric(arimax_forecast(refits[[i]], if (is.null(x)) NULL else x[(t0 + 1):(t0 + horizon), , drop = FALSE], horizon)$mean)
    }))
    # each refit's estimates and log-likelihood too, so that its forecasts can be checked at R's own parameters
    out$backtest <- list(origins = as.integer(origins), forecasts = paths,
                         coef = lapply(refits, function(f) unname(coef(f))), loglik = sapply(refits, function(f) f$loglik))
  }
  out
}

models <- list()
for (m in spec$models) {
  models[[m$name]] <- switch(m$kind, ols = fit_ols(m), mixed = fit_mixed(m), arimax = fit_arimax_model(m), stop(paste("unknown model kind", m$kind)))
}
aggregations <- list()
for (a in spec$aggregations) {
  forecasts <- list()
  for (s in scenario_names) {
    total <- 0
    for (term in names(a$terms)) total <- total + a$terms[[term]] * models[[term]]$forecasts[[s]]$mean
    forecasts[[s]] <- total
  }
  aggregations[[a$name]] <- list(forecasts = forecasts)
}
versions <- list(R = scalar(R.version.string), forecast = scalar(as.character(packageVersion("forecast"))), lme4 = scalar(as.character(packageVersion("lme4"))))
settings <- list(arima = list(method = scalar("ML"), optim_reltol = scalar(arima_control$reltol), optim_maxit = scalar(arima_control$maxit)),
                 lmer = list(optimizer = scalar("bobyqa"), rhoend = scalar(1e-10), maxfun = scalar(1e5)))
writeLines(to_json(list(versions = versions, settings = settings, models = models, aggregations = aggregations)), output)
